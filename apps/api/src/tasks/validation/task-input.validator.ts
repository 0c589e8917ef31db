import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { type FieldError, flattenValidationErrors, TaskRegistry } from '#tasks';
import { VALIDATOR_OPTIONS } from '../../http/validation.js';
import { ApiError } from '../../problems/api-error.js';
import { CreateTaskBatchDto } from '../dto/create-task-batch.dto.js';
import { CreateTaskDto } from '../dto/create-task.dto.js';
import { jsonSafetyErrors } from './json-safety.js';
import { plainCreateTask, plainCreateTaskBatch } from './plain-create-task.js';

export const MAX_PAYLOAD_BYTES = 64 * 1024;

/**
 * Checks a create request completely before anything is written, and reports every problem at
 * once: the body's shape (class-validator DTOs), then each task's type and payload against the
 * registry, with fields named as `title`, `payload.ms` or, in a batch, `tasks[3].payload.ms`.
 * A plainly valid create (a single one, or a batch whose every item is) is read by
 * {@link plainCreateTask} instead of the DTO classes; every other body, and every answer about a
 * bad field, comes from the DTO classes.
 */
@Injectable()
export class TaskInputValidator {
  constructor(private readonly registry: TaskRegistry) {}

  one(body: unknown): CreateTaskDto {
    if (isObject(body) && jsonSafetyErrors(body).length === 0) {
      // The hot path: a plainly valid body skips class-transformer and class-validator.
      const plain = plainCreateTask(body);
      if (plain) {
        this.throwIfAny(this.typeAndPayload(body, ''));
        return plain;
      }
    }
    const dto = this.shape(CreateTaskDto, body);
    this.throwIfAny([...dto.errors, ...this.typeAndPayload(body, '')]);
    return dto.value;
  }

  batch(body: unknown): CreateTaskBatchDto {
    if (isObject(body) && jsonSafetyErrors(body).length === 0) {
      // The hot path: a batch of plainly valid items skips class-transformer and class-validator.
      const plain = plainCreateTaskBatch(body);
      if (plain) {
        const items = body.tasks as unknown[];
        this.throwIfAny(items.flatMap((item, i) => this.typeAndPayload(item, `tasks[${i}]`)));
        return plain;
      }
    }
    const dto = this.shape(CreateTaskBatchDto, body);
    const items = isObject(body) && Array.isArray(body.tasks) && body.tasks.length <= 1000 ? body.tasks : [];
    this.throwIfAny([...dto.errors, ...items.flatMap((item, i) => this.typeAndPayload(item, `tasks[${i}]`))]);
    return dto.value;
  }

  private shape<T extends object>(cls: new () => T, body: unknown): { value: T; errors: FieldError[] } {
    if (!isObject(body)) throw ApiError.validation([{ field: '(root)', message: 'the body must be a JSON object' }]);
    const safety = jsonSafetyErrors(body);
    if (safety.length > 0) throw ApiError.validation(safety);
    const value = plainToInstance(cls, body);
    return { value, errors: flattenValidationErrors(validateSync(value, VALIDATOR_OPTIONS)) };
  }

  /** The type must be registered and the payload must fit its class; DTO errors are reported separately. */
  private typeAndPayload(item: unknown, prefix: string): FieldError[] {
    if (!isObject(item)) return [];
    const at = (field: string) => (prefix ? `${prefix}.${field}` : field);
    const type = item.type ?? 'noop';
    if (typeof type !== 'string') return [];
    if (!this.registry.has(type)) {
      return [{ field: at('type'), message: `unknown task type '${type}'; known types: ${this.registry.names().join(', ')}` }];
    }
    const payload = item.payload ?? {};
    if (!isObject(payload)) return [];
    if (payloadBytesOver(payload, MAX_PAYLOAD_BYTES)) {
      return [{ field: at('payload'), message: `must be at most ${MAX_PAYLOAD_BYTES} bytes as JSON` }];
    }
    return this.registry.validatePayload(type, payload, at('payload'));
  }

  private throwIfAny(errors: FieldError[]): void {
    if (errors.length > 0) throw ApiError.validation(errors);
  }
}

/** Whether `payload` as JSON takes more than `max` bytes of UTF-8 (a character takes at most 3). */
function payloadBytesOver(payload: Record<string, unknown>, max: number): boolean {
  const json = JSON.stringify(payload);
  return json.length * 3 > max && Buffer.byteLength(json) > max;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

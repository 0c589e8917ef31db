import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import { DatabaseService, type NewTask, type TaskRecord, TaskRepository } from '#database';
import { dispatchMessage } from '#messaging';
import { MetricsService } from '#observability';
import { defaultMaxAttempts, type FieldError, TaskPriority, TaskRegistry } from '#tasks';
import { ApiError } from '../problems/api-error.js';
import type { CreateTaskDto } from './dto/create-task.dto.js';

export const MAX_PAYLOAD_BYTES = 64 * 1024;

/** Creating and reading tasks. Thin: the repository writes, the registry validates. */
@Injectable()
export class TasksService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly database: DatabaseService,
    private readonly tasks: TaskRepository,
    private readonly registry: TaskRegistry,
    private readonly metrics: MetricsService,
  ) {}

  /** Validates the type's payload, then writes the task and its outbox row in one statement. */
  async create(dto: CreateTaskDto, correlationId: string): Promise<TaskRecord> {
    const task = this.toNewTask(dto, correlationId);
    const dispatch = dispatchMessage({ taskId: task.id, type: task.type, priority: task.priority, correlationId });
    const [created] = await this.tasks.createWithDispatch(this.database, [{ task, dispatch }]);
    this.metrics.tasksCreated.inc({ type: created.type, priority: created.priority });
    return created;
  }

  async get(id: string): Promise<TaskRecord> {
    const task = await this.tasks.findById(this.database, id);
    if (!task) throw ApiError.notFound(`No task with id ${id}`);
    return task;
  }

  private toNewTask(dto: CreateTaskDto, correlationId: string): NewTask {
    const type = dto.type ?? 'noop';
    const payload = dto.payload ?? {};
    const errors: FieldError[] = [];
    if (!this.registry.has(type)) {
      errors.push({ field: 'type', message: `unknown task type '${type}'; known types: ${this.registry.names().join(', ')}` });
    } else if (Buffer.byteLength(JSON.stringify(payload)) > MAX_PAYLOAD_BYTES) {
      errors.push({ field: 'payload', message: `must be at most ${MAX_PAYLOAD_BYTES} bytes as JSON` });
    } else {
      errors.push(...this.registry.validatePayload(type, payload));
    }
    if (errors.length > 0) throw ApiError.validation(errors);
    return {
      id: randomUUID(),
      type,
      title: dto.title,
      description: dto.description ?? null,
      priority: dto.priority ?? TaskPriority.MEDIUM,
      payload,
      maxAttempts: dto.maxAttempts ?? defaultMaxAttempts(this.config.retry.maxRetries),
      runAt: dto.runAt ? new Date(dto.runAt) : null,
      correlationId,
    };
  }
}

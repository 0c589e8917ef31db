import type { Type } from '@nestjs/common';
import { InvalidPayloadError } from './task-errors.js';
import type { AnyTaskHandler } from './task-handler.interface.js';
import { readTaskHandlerOptions, type TaskHandlerOptions } from './task-handler.decorator.js';
import { type FieldError, validateAgainst } from './payload-validation.js';
import { TASK_TYPE_PATTERN } from '../task-patterns.js';
import { delayStepsOf, type EffectiveTaskPolicy, type PolicyDefaults, resolveTaskPolicy, validateTaskPolicy } from '../policy/task-policy.js';
import { DEFAULT_QUEUE_GROUP, EVENT_ROUTING_KEY_PATTERN, QUEUE_GROUP_PATTERN, type TaskRouting, taskRouting } from '../routing/task-routing.js';

export type TaskHandlerClass = Type<AnyTaskHandler>;

/** A registered task type: its name, payload class and handler class. */
export interface RegisteredTaskType extends TaskHandlerOptions {
  handler: TaskHandlerClass;
}

export class TaskRegistryError extends Error {
  readonly code = 'TASK_REGISTRY_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'TaskRegistryError';
  }
}

/**
 * A type with `batch` needs `runBatch`; a type without it needs `run`, and a `runBatch` there is
 * refused rather than ignored (the author meant a batch type and left the setting out).
 */
function checkHandlerMethods(handler: TaskHandlerClass, options: TaskHandlerOptions): void {
  const proto = handler.prototype as Record<string, unknown>;
  const has = (method: string) => typeof proto[method] === 'function';
  if (options.batch !== undefined) {
    if (!has('runBatch')) {
      throw new TaskRegistryError(`Task type '${options.type}' of ${handler.name} declares batch but has no runBatch(items, context) method`);
    }
    return;
  }
  if (has('runBatch')) {
    throw new TaskRegistryError(
      `Task type '${options.type}' of ${handler.name} has a runBatch method but declares no batch: ` +
        'add batch: { size, maxWaitMs } to @TaskHandler, or remove runBatch',
    );
  }
  if (!has('run')) throw new TaskRegistryError(`Task type '${options.type}' of ${handler.name} has no run(payload, context) method`);
}

/**
 * The task types this deployment knows, built from a list of {@link TaskHandler} classes and
 * checked at boot: a class without the decorator, or two handlers for one type, stop the
 * process. The API and the worker build it from the same list.
 */
export class TaskRegistry {
  private readonly types = new Map<string, RegisteredTaskType>();
  /** Per type: whether `{}` is a valid payload (see {@link validatePayload}). */
  private readonly emptyPayloadValid = new Map<string, boolean>();

  constructor(handlers: readonly TaskHandlerClass[]) {
    for (const handler of handlers) {
      const options = readTaskHandlerOptions(handler);
      if (!options) throw new TaskRegistryError(`${handler.name} is listed as a task handler but has no @TaskHandler decorator`);
      if (!TASK_TYPE_PATTERN.test(options.type)) {
        throw new TaskRegistryError(`Task type '${options.type}' of ${handler.name} must be 1-100 lowercase letters, digits, '.', '_' or '-'`);
      }
      const problems = validateTaskPolicy(options);
      if (problems.length > 0) {
        const list = problems.map((p) => `${p.field} ${p.message}`).join('; ');
        throw new TaskRegistryError(`Task type '${options.type}' of ${handler.name} has an invalid policy: ${list}`);
      }
      if (options.queueGroup !== undefined && (!QUEUE_GROUP_PATTERN.test(options.queueGroup) || options.queueGroup === DEFAULT_QUEUE_GROUP)) {
        throw new TaskRegistryError(
          `Queue group '${options.queueGroup}' of ${handler.name} must be 1-50 lowercase letters, digits, '_' or '-', starting with a letter, ` +
            `and not '${DEFAULT_QUEUE_GROUP}' (leave queueGroup out for the default queues)`,
        );
      }
      if (options.output !== undefined && !EVENT_ROUTING_KEY_PATTERN.test(options.output)) {
        throw new TaskRegistryError(
          `Output '${options.output}' of ${handler.name} must be a routing key of 1-255 characters: words of letters, digits, '_' or '-' joined by dots`,
        );
      }
      checkHandlerMethods(handler, options);
      const existing = this.types.get(options.type);
      if (existing) {
        throw new TaskRegistryError(`Task type '${options.type}' has two handlers: ${existing.handler.name} and ${handler.name}`);
      }
      this.types.set(options.type, { ...options, handler });
    }
    if (this.types.size === 0) throw new TaskRegistryError('No task handlers are registered');
  }

  has(type: string): boolean {
    return this.types.has(type);
  }

  /** Names of every registered type, sorted. */
  names(): string[] {
    return [...this.types.keys()].sort();
  }

  list(): RegisteredTaskType[] {
    return this.names().map((name) => this.types.get(name)!);
  }

  get(type: string): RegisteredTaskType | undefined {
    return this.types.get(type);
  }

  /** The policy of `type` with the global settings filled in; undefined for an unknown type. */
  policy(type: string, defaults: PolicyDefaults): EffectiveTaskPolicy | undefined {
    const entry = this.types.get(type);
    return entry && resolveTaskPolicy(entry, defaults);
  }

  /**
   * The delay steps the types' own retry policies need, sorted (the ladder of RETRY_DELAYS_SECONDS
   * is not among them): each app declares a delay queue for each, beside the ladder's.
   */
  retryDelaySteps(): number[] {
    const steps = new Set<number>();
    for (const entry of this.types.values()) {
      if (!entry.retry) continue;
      const policy = resolveTaskPolicy(entry, { maxAttempts: 1, retryDelaysSeconds: [1], timeoutSeconds: 1 });
      for (const step of delayStepsOf(policy.retry)) steps.add(step);
    }
    return [...steps].sort((a, b) => a - b);
  }

  /** The queue groups the types declare, sorted, without the default group. */
  queueGroups(): string[] {
    return [...new Set([...this.types.values()].flatMap((t) => (t.queueGroup ? [t.queueGroup] : [])))].sort();
  }

  /** Where a task of `type` goes: its queue group and its event's routing key (see {@link taskRouting}). */
  routingOf(type: string, eventsForEveryType: boolean): TaskRouting {
    const entry = this.types.get(type);
    return entry ? taskRouting(entry, eventsForEveryType) : { queueGroup: null, eventRoutingKey: null };
  }

  /** Field errors of `payload` for `type`; empty when it is valid. */
  validatePayload(type: string, payload: unknown, fieldPrefix = 'payload'): FieldError[] {
    const entry = this.types.get(type);
    if (!entry) return [{ field: 'type', message: `unknown task type '${type}'; known types: ${this.names().join(', ')}` }];
    // An empty payload (the default one, `{}`) is checked once per type: the answer cannot change.
    if (isEmptyObject(payload)) {
      let valid = this.emptyPayloadValid.get(type);
      if (valid === undefined) {
        valid = validateAgainst(entry.payload, {}).length === 0;
        this.emptyPayloadValid.set(type, valid);
      }
      if (valid) return [];
    }
    return validateAgainst(entry.payload, payload, fieldPrefix);
  }

  /** Throws {@link InvalidPayloadError} when the payload does not fit its type, as the worker needs. */
  assertPayload(type: string, payload: unknown): void {
    const errors = this.validatePayload(type, payload);
    if (errors.length > 0) {
      throw new InvalidPayloadError(`Invalid payload: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`);
    }
  }
}

function isEmptyObject(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const key in value) if (Object.hasOwn(value, key)) return false;
  return true;
}

import 'reflect-metadata';
import type { TaskPolicyOptions } from '../policy/task-policy.js';

export const TASK_HANDLER_METADATA = 'tasks:handler';

export type PayloadClass = new () => object;

/**
 * What {@link TaskHandler} records on a handler class. The policy fields (`maxAttempts`, `retry`,
 * `timeoutSeconds`, `concurrency`: see {@link TaskPolicyOptions}) are optional; each one left out
 * falls back to its global setting, and a bad one stops the app at boot naming the type and field.
 */
export interface TaskHandlerOptions extends TaskPolicyOptions {
  /** The task's `type`, e.g. `email.send`. */
  type: string;
  /** The class-validator class that the payload must satisfy, at the API and in the worker. */
  payload: PayloadClass;
  /** One line for `GET /api/v1/task-types` and the docs. */
  description: string;
  /**
   * Routing key of this type's terminal event (COMPLETED, FAILED, CANCELLED) on the topic
   * exchange `tasks.events`, e.g. `billing.results`: words of letters, digits, `_` or `-`
   * joined by dots. Absent: no event, unless TASK_EVENTS=on (then `task.<type>`).
   */
  output?: string;
  /**
   * The queue group that carries this type's messages: `reports` gives `reports.high`,
   * `reports.medium` and `reports.low`, so a pool of workers can serve this type alone.
   * Absent: the default queues `tasks.*`.
   */
  queueGroup?: string;
}

/**
 * Marks a class as the handler of one task type. The class is a Nest provider: its
 * constructor may inject what it needs. The API reads this metadata only; it never
 * constructs a handler, so handlers' dependencies stay in the worker.
 */
export function TaskHandler(options: TaskHandlerOptions): ClassDecorator {
  return (target) => {
    Reflect.defineMetadata(TASK_HANDLER_METADATA, options, target);
  };
}

export function readTaskHandlerOptions(target: object): TaskHandlerOptions | undefined {
  return Reflect.getMetadata(TASK_HANDLER_METADATA, target) as TaskHandlerOptions | undefined;
}

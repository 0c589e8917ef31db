import { randomUUID } from 'node:crypto';
import { TaskPriority, UUID_PATTERN, workQueueName } from '#tasks/core';
import { CONTROL_EXCHANGE, DEAD_LETTER_EXCHANGE, RETRY_DELAY_HEADER, RETRY_EXCHANGE, TASKS_EXCHANGE } from './topology.js';

/** Our own attempt header: RabbitMQ 4 ignores client-set `x-death`, so we never read it. */
export const ATTEMPT_HEADER = 'x-task-attempt';
export const DEAD_LETTER_HEADERS = {
  reason: 'x-task-dead-reason',
  originalQueue: 'x-task-original-queue',
  attempts: 'x-task-attempts',
  failedAt: 'x-task-failed-at',
  error: 'x-task-error',
} as const;

/** The JSON body of a task message. The worker reads the payload from Postgres, not from here. */
export interface TaskMessage {
  taskId: string;
  type: string;
  priority: TaskPriority;
  /** The attempt this delivery starts: 1 for the first dispatch, k + 1 after retry k. */
  attempt: number;
  correlationId: string;
}

/** A message ready for the outbox: where it goes and what it carries. */
export interface OutgoingMessage<B extends TaskMessage | ControlMessage = TaskMessage | ControlMessage> {
  messageId: string;
  exchange: string;
  routingKey: string;
  headers: Record<string, string | number>;
  body: B;
  correlationId: string;
}

/** A control message to every worker: stop running this task. */
export interface ControlMessage {
  command: 'cancel';
  taskId: string;
  correlationId: string;
}

/**
 * What the message builders need of a task: the body's fields and the task's queue group (null
 * or absent: the default queues `tasks.*`), which picks the queue and is not part of the body.
 */
export type TaskToRoute = Omit<TaskMessage, 'attempt'> & { queueGroup?: string | null };

/** The work queue of a priority in a queue group, e.g. `tasks.high` or `reports.low`. */
export function queueOfPriority(priority: TaskPriority, queueGroup?: string | null): string {
  return workQueueName(queueGroup, priority);
}

/** The first dispatch of a task to the queue of its priority in its queue group. */
export function dispatchMessage(task: TaskToRoute, attempt = 1): OutgoingMessage<TaskMessage> {
  const body: TaskMessage = { taskId: task.taskId, type: task.type, priority: task.priority, attempt, correlationId: task.correlationId };
  return {
    messageId: randomUUID(),
    exchange: TASKS_EXCHANGE,
    routingKey: queueOfPriority(task.priority, task.queueGroup),
    headers: { [ATTEMPT_HEADER]: attempt },
    body,
    correlationId: task.correlationId,
  };
}

/**
 * A retry through the delay queue of `delaySeconds`: published to the headers exchange with the
 * name of the task's work queue (its group's queue of its priority) as routing key, which
 * dead-lettering keeps when the TTL expires: the message comes back to that queue.
 */
export function retryMessage(task: TaskToRoute, nextAttempt: number, delaySeconds: number): OutgoingMessage<TaskMessage> {
  const message = dispatchMessage(task, nextAttempt);
  return { ...message, exchange: RETRY_EXCHANGE, headers: { ...message.headers, [RETRY_DELAY_HEADER]: `${delaySeconds}s` } };
}

/** The copy of a task that failed for good, for `tasks.dlq`, with headers that say why. */
export function deadLetterMessage(
  task: TaskToRoute,
  details: { attempts: number; reason: string; error: string; failedAt: Date },
): OutgoingMessage<TaskMessage> {
  const message = dispatchMessage(task, details.attempts);
  return {
    ...message,
    exchange: DEAD_LETTER_EXCHANGE,
    routingKey: '',
    headers: {
      ...message.headers,
      [DEAD_LETTER_HEADERS.reason]: details.reason,
      [DEAD_LETTER_HEADERS.originalQueue]: queueOfPriority(task.priority, task.queueGroup),
      [DEAD_LETTER_HEADERS.attempts]: details.attempts,
      [DEAD_LETTER_HEADERS.failedAt]: details.failedAt.toISOString(),
      [DEAD_LETTER_HEADERS.error]: details.error.slice(0, 1000),
    },
  };
}

/** Asks whichever worker runs `taskId` to abort it; broadcast, so not `mandatory`. */
export function cancelControlMessage(taskId: string, correlationId: string): OutgoingMessage<ControlMessage> {
  return {
    messageId: randomUUID(),
    exchange: CONTROL_EXCHANGE,
    routingKey: '',
    headers: {},
    body: { command: 'cancel', taskId, correlationId },
    correlationId,
  };
}

export function parseControlMessage(content: Buffer): ControlMessage | null {
  try {
    const value = JSON.parse(content.toString('utf8')) as Partial<ControlMessage>;
    if (value?.command === 'cancel' && typeof value.taskId === 'string' && UUID_PATTERN.test(value.taskId)) {
      return { command: 'cancel', taskId: value.taskId, correlationId: String(value.correlationId ?? '') };
    }
  } catch {
    // not a control message
  }
  return null;
}

/** Reads a delivered body; returns a reason string when it is not a task message. */
export function parseTaskMessage(content: Buffer): TaskMessage | string {
  let value: unknown;
  try {
    value = JSON.parse(content.toString('utf8'));
  } catch {
    return 'body is not JSON';
  }
  const m = value as Partial<TaskMessage> | null;
  if (!m || typeof m !== 'object') return 'body is not a JSON object';
  if (typeof m.taskId !== 'string' || !UUID_PATTERN.test(m.taskId)) return 'taskId is missing or not a UUID';
  if (typeof m.type !== 'string' || m.type === '') return 'type is missing';
  if (!Object.values(TaskPriority).includes(m.priority as TaskPriority)) return 'priority is missing or unknown';
  if (!Number.isInteger(m.attempt) || (m.attempt as number) < 1) return 'attempt is missing or not a positive integer';
  return { taskId: m.taskId, type: m.type, priority: m.priority as TaskPriority, attempt: m.attempt as number, correlationId: String(m.correlationId ?? '') };
}

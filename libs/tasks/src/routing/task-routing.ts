import { TaskPriority } from '../status/task-status.js';

/** The group of the default work queues `tasks.high`, `tasks.medium`, `tasks.low`. */
export const DEFAULT_QUEUE_GROUP = 'tasks';

/** The durable topic exchange every task event goes to (documents/task-types.md, "Events"). */
export const TASK_EVENTS_EXCHANGE = 'tasks.events';

/** The version of the event body; a change that breaks a consumer is a new version. */
export const TASK_EVENT_VERSION = 1;

/**
 * A queue group's name: 1–50 characters, a lowercase letter first, then lowercase letters,
 * digits, `_` or `-`. No dot, so `<group>.<priority>` reads back one way, and never `tasks`
 * (the default group, which a type gets by naming none).
 */
export const QUEUE_GROUP_PATTERN = /^[a-z][a-z0-9_-]{0,49}$/;

/**
 * An event's routing key: 1–255 characters, words of letters, digits, `_` or `-` joined by
 * dots. No `*` or `#`: those are the wildcards of a binding, not of a key.
 */
export const EVENT_ROUTING_KEY_PATTERN = /^(?=.{1,255}$)[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** The priorities, highest first, with the suffix of their queue. */
export const PRIORITY_QUEUE_SUFFIXES: readonly (readonly [TaskPriority, string])[] = [
  [TaskPriority.HIGH, 'high'],
  [TaskPriority.MEDIUM, 'medium'],
  [TaskPriority.LOW, 'low'],
];

/** The work queue of `priority` in `group` (null: the default group), e.g. `reports.high`. */
export function workQueueName(group: string | null | undefined, priority: TaskPriority): string {
  const suffix = PRIORITY_QUEUE_SUFFIXES.find(([p]) => p === priority)![1];
  return `${group ?? DEFAULT_QUEUE_GROUP}.${suffix}`;
}

/** The three work queues of a group, highest priority first. */
export function groupQueues(group: string | null | undefined): string[] {
  return PRIORITY_QUEUE_SUFFIXES.map(([priority]) => workQueueName(group, priority));
}

/** The routing key of the events of a type that names no `output`, when TASK_EVENTS=on: `task.<type>`. */
export function defaultEventRoutingKey(type: string): string {
  return `task.${type}`;
}

/** What a task type declares about where its messages and events go. */
export interface TaskRoutingOptions {
  type: string;
  output?: string;
  queueGroup?: string;
}

/** Where one task's messages and its terminal event go; stored on the task row at create. */
export interface TaskRouting {
  /** Null: the default queues `tasks.*`. */
  queueGroup: string | null;
  /** Null: the task emits no event. */
  eventRoutingKey: string | null;
}

/**
 * The routing of a task of this type: its queue group, and its event's routing key, which is
 * the type's `output` when it names one, `task.<type>` when every type emits
 * (`TASK_EVENTS=on`), and none otherwise.
 */
export function taskRouting(options: TaskRoutingOptions, eventsForEveryType: boolean): TaskRouting {
  return {
    queueGroup: options.queueGroup ?? null,
    eventRoutingKey: options.output ?? (eventsForEveryType ? defaultEventRoutingKey(options.type) : null),
  };
}

import type { TaskEvent, TaskPage, TaskRecord, TaskStats } from '#database';
import { queueOfPriority, type QueueDepth } from '#messaging';
import {
  type EffectiveTaskPolicy,
  payloadJsonSchema,
  type PolicyDefaults,
  type RegisteredTaskType,
  resolveTaskPolicy,
  retryDelays,
  TASK_PRIORITIES,
  TASK_STATUSES,
  type TaskStatus,
} from '#tasks';
import { encodeCursor } from './cursor.js';
import type {
  CountByPriority,
  StatsView,
  TaskEventListView,
  TaskPageView,
  TaskPolicyView,
  TaskStatusView,
  TaskTypeListView,
  TaskView,
} from './dto/task.view.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The task as JSON: the record, with times as ISO strings. */
export function presentTask(task: TaskRecord): TaskView {
  return {
    ...task,
    runAt: iso(task.runAt),
    nextRetryAt: iso(task.nextRetryAt),
    createdAt: task.createdAt.toISOString(),
    updatedAt: task.updatedAt.toISOString(),
    startedAt: iso(task.startedAt),
    completedAt: iso(task.completedAt),
  };
}

/** `GET /tasks/{id}/status`: what a poller needs and no more. */
export function presentStatus(task: TaskRecord): TaskStatusView {
  return {
    id: task.id,
    status: task.status,
    progress: task.progress,
    attempts: task.attempts,
    maxAttempts: task.maxAttempts,
    error: task.error,
    nextRetryAt: iso(task.nextRetryAt),
    updatedAt: task.updatedAt.toISOString(),
  };
}

/** `GET /tasks`: the page, and the position after its last item as an opaque cursor. */
export function presentPage(page: TaskPage): TaskPageView {
  return { items: page.items.map(presentTask), nextCursor: page.next ? encodeCursor(page.next) : null };
}

/** `GET /tasks/{id}/events`: the timeline, oldest first. */
export function presentEvents(taskId: string, events: TaskEvent[]): TaskEventListView {
  return { taskId, items: events.map((e) => ({ ...e, at: e.at.toISOString() })) };
}

/**
 * `GET /tasks/stats`: every status and priority present (0 when no task has them), and each
 * queue in the order given, with the age of the oldest PENDING task of its priority.
 */
export function presentStats(stats: TaskStats, depths: QueueDepth[]): StatsView {
  const tasks = Object.fromEntries(
    TASK_STATUSES.map((status) => [status, Object.fromEntries(TASK_PRIORITIES.map((p) => [p, 0])) as unknown as CountByPriority]),
  ) as Record<TaskStatus, CountByPriority>;
  for (const row of stats.tasks) tasks[row.status][row.priority] = row.count;
  return {
    tasks,
    outbox: { backlog: stats.outbox.backlog, oldestAgeSeconds: round(stats.outbox.oldestSeconds) },
    queues: depths.map((d) => {
      const priority = TASK_PRIORITIES.find((p) => queueOfPriority(p) === d.queue)!;
      return { queue: d.queue, depth: d.messages, consumers: d.consumers, oldestAgeSeconds: round(stats.oldestPendingSeconds[priority] ?? 0) };
    }),
  };
}

/** `GET /task-types`: each registered type with the JSON Schema of its payload and its effective policy. */
export function presentTaskTypes(types: readonly RegisteredTaskType[], defaults: PolicyDefaults): TaskTypeListView {
  return {
    items: types.map((t) => ({
      type: t.type,
      description: t.description,
      payloadSchema: payloadJsonSchema(t.payload),
      policy: presentPolicy(resolveTaskPolicy(t, defaults)),
    })),
  };
}

/** A type's effective policy, with the delay before each of its retries spelled out. */
export function presentPolicy(policy: EffectiveTaskPolicy): TaskPolicyView {
  const { retry } = policy;
  return {
    maxAttempts: policy.maxAttempts,
    retry: {
      backoff: retry.backoff,
      initialDelaySeconds: retry.backoff === 'ladder' ? null : retry.initialDelaySeconds,
      maxDelaySeconds: retry.backoff === 'ladder' ? null : retry.maxDelaySeconds,
      delaysSeconds: retryDelays(retry, policy.maxAttempts - 1),
    },
    timeoutSeconds: policy.timeoutSeconds,
    concurrency: policy.concurrency,
    batch: policy.batch && { size: policy.batch.size, maxWaitMs: policy.batch.maxWaitMs },
  };
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

import type { TaskRecord } from '#database';
import type { TaskStatusView, TaskView } from './dto/task.view.js';

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

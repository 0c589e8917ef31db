import type { TaskPriority, TaskStatus } from '#tasks/core';

/** A task as the API shows it (documents/api.md, "The task"). */
export interface TaskRecord {
  id: string;
  type: string;
  title: string;
  description: string | null;
  priority: TaskPriority;
  payload: Record<string, unknown>;
  status: TaskStatus;
  result: unknown;
  error: string | null;
  attempts: number;
  maxAttempts: number;
  progress: number | null;
  runAt: Date | null;
  nextRetryAt: Date | null;
  correlationId: string;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
}

/** A row of `tasks` as pg returns it. */
export interface TaskRow {
  id: string;
  type: string;
  title: string;
  description: string | null;
  priority: TaskPriority;
  payload: Record<string, unknown>;
  status: TaskStatus;
  result: unknown;
  error: string | null;
  attempts: number;
  max_attempts: number;
  progress: number | null;
  run_at: Date | null;
  next_retry_at: Date | null;
  correlation_id: string;
  locked_by: string | null;
  locked_until: Date | null;
  cancel_requested_at: Date | null;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  /** The queue group whose queues carry the task's messages; null: `tasks.*`. */
  queue_group: string | null;
  /** Where the task's terminal event goes on `tasks.events`; null: no event. */
  event_routing_key: string | null;
}

export function toTaskRecord(row: TaskRow): TaskRecord {
  return {
    id: row.id,
    type: row.type,
    title: row.title,
    description: row.description,
    priority: row.priority,
    payload: row.payload,
    status: row.status,
    result: row.result,
    error: row.error,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    progress: row.progress,
    runAt: row.run_at,
    nextRetryAt: row.next_retry_at,
    correlationId: row.correlation_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    completedAt: row.completed_at,
  };
}

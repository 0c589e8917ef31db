import { Injectable } from '@nestjs/common';
import type { OutgoingMessage } from '#messaging';
import { type TaskPriority, type TaskRouting, TaskStatus, TaskStatusMachine } from '#tasks/core';
import { CANCEL_QUEUED_TASK, REQUEST_CANCEL_OF_RUNNING_TASK } from '../sql/cancel-task.sql.js';
import { FIND_TASK_BY_ID } from '../sql/find-task.sql.js';
import { INSERT_TASKS_WITH_OUTBOX } from '../sql/insert-tasks-with-outbox.sql.js';
import { LIST_TASK_EVENTS } from '../sql/list-task-events.sql.js';
import { FIND_TASKS_BY_IDS, LIST_TASKS } from '../sql/list-tasks.sql.js';
import { REQUEUE_TASKS } from '../sql/requeue-task.sql.js';
import { COUNT_TASKS_BY_STATUS_AND_PRIORITY, OLDEST_PENDING_BY_PRIORITY, OUTBOX_BACKLOG } from '../sql/task-stats.sql.js';
import type { SqlExecutor } from '../sql-executor.js';
import { outboxColumns, outboxParams } from './outbox-params.js';
import { type TaskRecord, type TaskRow, toTaskRecord } from '../task.record.js';

/** What a new task is made of; `id` is chosen by the caller so its message can name it. */
export interface NewTask {
  id: string;
  type: string;
  title: string;
  description: string | null;
  priority: TaskPriority;
  payload: Record<string, unknown>;
  maxAttempts: number;
  runAt: Date | null;
  correlationId: string;
  /**
   * The task type's queue group (TaskRegistry.routingOf): the relay's sweeper and reconciler send
   * the task back to that group's queue. Absent or null: the default queues `tasks.*`. Build the
   * dispatch with the same group (`dispatchMessage({ ..., queueGroup })`).
   */
  queueGroup?: string | null;
  /** Where the task's terminal event goes on `tasks.events` (TaskRegistry.routingOf). Absent or null: no event. */
  eventRoutingKey?: string | null;
}

/** A new task and the message that dispatches it: one cannot be written without the other. */
export interface NewTaskWithDispatch {
  task: NewTask;
  dispatch: OutgoingMessage;
}

/** A task to requeue and the dispatch that sends it again. */
export interface TaskRequeue {
  id: string;
  dispatch: OutgoingMessage;
  /** The type's queue group and event routing key as the registry has them now: set again on the task. */
  routing: TaskRouting;
}

/** Filters and position of one page of `GET /tasks`. Null: not filtered. */
export interface TaskListQuery {
  statuses: TaskStatus[] | null;
  priorities: TaskPriority[] | null;
  types: string[] | null;
  /** The last row of the previous page. */
  after: { createdAt: string; id: string } | null;
  limit: number;
}

export interface TaskPage {
  items: TaskRecord[];
  /** Position of the last item, for the next page; null when there is no next page. */
  next: { createdAt: string; id: string } | null;
}

/** One entry of a task's timeline. */
export interface TaskEvent {
  at: Date;
  status: TaskStatus;
  attempt: number;
  worker: string | null;
  error: string | null;
  detail: string | null;
}

export interface TaskStats {
  tasks: { status: TaskStatus; priority: TaskPriority; count: number }[];
  outbox: { backlog: number; oldestSeconds: number };
  oldestPendingSeconds: Partial<Record<TaskPriority, number>>;
}

/** Reads, creates and changes tasks on the API's side. Every method takes the executor (a transaction or the pool) explicitly. */
@Injectable()
export class TaskRepository {
  /**
   * Writes the tasks and their outbox rows in one statement on `executor`. Pass a
   * transaction's executor to commit them with your own data.
   */
  async createWithDispatch(executor: SqlExecutor, items: NewTaskWithDispatch[]): Promise<TaskRecord[]> {
    if (items.length === 0) return [];
    // A column that is null is left out of its row's JSON (undefined is not written), which
    // jsonb_to_recordset reads as NULL: a smaller parameter to send and for Postgres to parse.
    const input = items.map(({ task, dispatch }) => ({
      id: task.id,
      type: task.type,
      title: task.title,
      description: task.description ?? undefined,
      priority: task.priority,
      payload: task.payload,
      max_attempts: task.maxAttempts,
      run_at: task.runAt?.toISOString(),
      correlation_id: task.correlationId,
      queue_group: task.queueGroup ?? undefined,
      event_routing_key: task.eventRoutingKey ?? undefined,
      ...outboxColumns(dispatch),
    }));
    const { rows } = await executor.query<TaskRow>(INSERT_TASKS_WITH_OUTBOX, [JSON.stringify(input)]);
    const byId = new Map(rows.map((row) => [row.id, toTaskRecord(row)]));
    return items.map(({ task }) => byId.get(task.id)!);
  }

  async findById(executor: SqlExecutor, id: string): Promise<TaskRecord | null> {
    const { rows } = await executor.query<TaskRow>(FIND_TASK_BY_ID, [id]);
    return rows[0] ? toTaskRecord(rows[0]) : null;
  }

  async events(executor: SqlExecutor, id: string): Promise<TaskEvent[]> {
    const { rows } = await executor.query<TaskEvent>(LIST_TASK_EVENTS, [id]);
    return rows;
  }

  async findByIds(executor: SqlExecutor, ids: string[]): Promise<TaskRecord[]> {
    if (ids.length === 0) return [];
    const { rows } = await executor.query<TaskRow>(FIND_TASKS_BY_IDS, [ids]);
    const byId = new Map(rows.map((row) => [row.id, toTaskRecord(row)]));
    return ids.map((id) => byId.get(id)).filter((t): t is TaskRecord => t !== undefined);
  }

  async list(executor: SqlExecutor, query: TaskListQuery): Promise<TaskPage> {
    const { rows } = await executor.query<TaskRow & { cursor_created_at: string }>(LIST_TASKS, [
      query.statuses,
      query.priorities,
      query.types,
      query.after?.createdAt ?? null,
      query.after?.id ?? null,
      query.limit + 1,
    ]);
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toTaskRecord),
      next: rows.length > query.limit && last ? { createdAt: last.cursor_created_at, id: last.id } : null,
    };
  }

  /** CANCELLED at once when no handler runs it; null when the task is in another status. */
  async cancelQueued(executor: SqlExecutor, id: string): Promise<TaskRecord | null> {
    const { rows } = await executor.query<TaskRow>(CANCEL_QUEUED_TASK, [id, TaskStatusMachine.cancellableAtOnce()]);
    return rows[0] ? toTaskRecord(rows[0]) : null;
  }

  /** Records a cancel request for a running task and queues `control` for the workers; null unless IN_PROGRESS. */
  async requestCancel(executor: SqlExecutor, id: string, control: OutgoingMessage): Promise<TaskRecord | null> {
    const { rows } = await executor.query<TaskRow>(REQUEST_CANCEL_OF_RUNNING_TASK, [id, ...outboxParams(control)]);
    return rows[0] ? toTaskRecord(rows[0]) : null;
  }

  /** FAILED or CANCELLED back to NEW with a new dispatch; null when the task is in another status. */
  async requeue(executor: SqlExecutor, id: string, dispatch: OutgoingMessage, routing: TaskRouting): Promise<TaskRecord | null> {
    const [requeued] = await this.requeueMany(executor, [{ id, dispatch, routing }], TaskStatusMachine.sourcesOf(TaskStatus.NEW));
    return requeued ?? null;
  }

  /**
   * Each task whose status is one of `from` back to NEW with its dispatch, in one statement (the
   * retry of {@link requeue}, for many). `from` must be statuses the status machine lets go to
   * NEW. Returns the requeued tasks; the others were in another status.
   */
  async requeueMany(executor: SqlExecutor, items: TaskRequeue[], from: readonly TaskStatus[]): Promise<TaskRecord[]> {
    if (items.length === 0) return [];
    const illegal = from.filter((status) => !TaskStatusMachine.sourcesOf(TaskStatus.NEW).includes(status));
    if (illegal.length > 0) throw new Error(`A retry cannot leave ${illegal.join(', ')}`);
    const input = items.map(({ id, dispatch, routing }) => ({
      id,
      ...outboxColumns(dispatch),
      queue_group: routing.queueGroup,
      event_routing_key: routing.eventRoutingKey,
    }));
    const { rows } = await executor.query<TaskRow>(REQUEUE_TASKS, [JSON.stringify(input), from]);
    return rows.map(toTaskRecord);
  }

  async stats(executor: SqlExecutor): Promise<TaskStats> {
    const [tasks, outbox, pending] = await Promise.all([
      executor.query<{ status: TaskStatus; priority: TaskPriority; count: number }>(COUNT_TASKS_BY_STATUS_AND_PRIORITY),
      executor.query<{ count: number; oldest_seconds: number }>(OUTBOX_BACKLOG),
      executor.query<{ priority: TaskPriority; oldest_seconds: number }>(OLDEST_PENDING_BY_PRIORITY),
    ]);
    return {
      tasks: tasks.rows,
      outbox: { backlog: outbox.rows[0].count, oldestSeconds: outbox.rows[0].oldest_seconds },
      oldestPendingSeconds: Object.fromEntries(pending.rows.map((r) => [r.priority, r.oldest_seconds])),
    };
  }
}

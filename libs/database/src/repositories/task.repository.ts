import { Injectable } from '@nestjs/common';
import type { OutgoingMessage } from '#messaging';
import type { TaskPriority } from '#tasks';
import { FIND_TASK_BY_ID } from '../sql/find-task.sql.js';
import { INSERT_TASKS_WITH_OUTBOX } from '../sql/insert-tasks-with-outbox.sql.js';
import type { SqlExecutor } from '../sql-executor.js';
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
}

/** A new task and the message that dispatches it: one cannot be written without the other. */
export interface NewTaskWithDispatch {
  task: NewTask;
  dispatch: OutgoingMessage;
}

/** Reads and creates tasks. Every method takes the executor (a transaction or the pool) explicitly. */
@Injectable()
export class TaskRepository {
  /**
   * Writes the tasks and their outbox rows in one statement on `executor`. Pass a
   * transaction's executor to commit them with your own data.
   */
  async createWithDispatch(executor: SqlExecutor, items: NewTaskWithDispatch[]): Promise<TaskRecord[]> {
    if (items.length === 0) return [];
    const input = items.map(({ task, dispatch }) => ({
      id: task.id,
      type: task.type,
      title: task.title,
      description: task.description,
      priority: task.priority,
      payload: task.payload,
      max_attempts: task.maxAttempts,
      run_at: task.runAt?.toISOString() ?? null,
      correlation_id: task.correlationId,
      message_id: dispatch.messageId,
      exchange: dispatch.exchange,
      routing_key: dispatch.routingKey,
      headers: dispatch.headers,
      body: dispatch.body,
    }));
    const { rows } = await executor.query<TaskRow>(INSERT_TASKS_WITH_OUTBOX, [JSON.stringify(input)]);
    const byId = new Map(rows.map((row) => [row.id, toTaskRecord(row)]));
    return items.map(({ task }) => byId.get(task.id)!);
  }

  async findById(executor: SqlExecutor, id: string): Promise<TaskRecord | null> {
    const { rows } = await executor.query<TaskRow>(FIND_TASK_BY_ID, [id]);
    return rows[0] ? toTaskRecord(rows[0]) : null;
  }
}

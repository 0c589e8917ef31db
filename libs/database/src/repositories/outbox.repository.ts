import { Injectable } from '@nestjs/common';
import { TaskStatus, TaskStatusMachine } from '#tasks';
import { CLAIM_OUTBOX_BATCH } from '../sql/claim-outbox-batch.sql.js';
import { LOCK_DISPATCHABLE_TASKS } from '../sql/lock-dispatchable-tasks.sql.js';
import { MARK_OUTBOX_PUBLISHED, MARK_TASKS_PENDING } from '../sql/mark-outbox-published.sql.js';
import { RECORD_OUTBOX_FAILURE } from '../sql/record-outbox-failure.sql.js';
import type { SqlExecutor } from '../sql-executor.js';

export type OutboxKind = 'dispatch' | 'retry' | 'dead-letter' | 'control' | 'redispatch';

/** A claimed outbox row. */
export interface OutboxRow {
  id: string;
  taskId: string | null;
  kind: OutboxKind;
  messageId: string;
  exchange: string;
  routingKey: string;
  headers: Record<string, string | number>;
  body: Record<string, unknown>;
  attempts: number;
}

interface RawOutboxRow {
  id: string;
  task_id: string | null;
  kind: OutboxKind;
  message_id: string;
  exchange: string;
  routing_key: string;
  headers: Record<string, string | number>;
  body: Record<string, unknown>;
  attempts: number;
}

/** The relay's reads and writes of the outbox. Each call runs on the relay's transaction. */
@Injectable()
export class OutboxRepository {
  async claimBatch(tx: SqlExecutor, limit: number): Promise<OutboxRow[]> {
    const { rows } = await tx.query<RawOutboxRow>(CLAIM_OUTBOX_BATCH, [limit]);
    return rows.map((r) => ({
      id: String(r.id),
      taskId: r.task_id,
      kind: r.kind,
      messageId: r.message_id,
      exchange: r.exchange,
      routingKey: r.routing_key,
      headers: r.headers,
      body: r.body,
      attempts: r.attempts,
    }));
  }

  /** Locks the still-NEW tasks among `taskIds` and returns their ids. */
  async lockDispatchableTasks(tx: SqlExecutor, taskIds: string[]): Promise<Set<string>> {
    if (taskIds.length === 0) return new Set();
    const { rows } = await tx.query<{ id: string }>(LOCK_DISPATCHABLE_TASKS, [taskIds]);
    return new Set(rows.map((r) => r.id));
  }

  async markPublished(tx: SqlExecutor, ids: string[], note: string | null = null): Promise<void> {
    if (ids.length > 0) await tx.query(MARK_OUTBOX_PUBLISHED, [ids, note]);
  }

  async markTasksPending(tx: SqlExecutor, taskIds: string[]): Promise<void> {
    if (taskIds.length > 0) await tx.query(MARK_TASKS_PENDING, [taskIds, TaskStatusMachine.sourcesOf(TaskStatus.PENDING)]);
  }

  /** Counts a failed publish; returns the id of the task that was FAILED because dispatch gave up, if any. */
  async recordFailure(tx: SqlExecutor, id: string, error: string, retryInSeconds: number, maxAttempts: number): Promise<string | null> {
    const { rows } = await tx.query<{ id: string }>(RECORD_OUTBOX_FAILURE, [
      id,
      error,
      retryInSeconds,
      maxAttempts,
      TaskStatusMachine.sourcesOf(TaskStatus.FAILED).filter((s) => s === TaskStatus.NEW),
    ]);
    return rows[0]?.id ?? null;
  }
}

import { Injectable } from '@nestjs/common';
import { TaskStatus, TaskStatusMachine } from '#tasks/core';
import { CLAIM_OUTBOX_BATCH } from '../sql/claim-outbox-batch.sql.js';
import { RECORD_OUTBOX_OUTCOME } from '../sql/mark-outbox-published.sql.js';
import { RECORD_OUTBOX_FAILURE } from '../sql/record-outbox-failure.sql.js';
import { queryPrepared, type SqlExecutor } from '../sql-executor.js';

/** `event`: a task's terminal event, written by the `tasks_terminal_event` trigger (migration task-routing-and-events). */
export type OutboxKind = 'dispatch' | 'retry' | 'dead-letter' | 'control' | 'redispatch' | 'event';

/** A claimed outbox row, as the claim statement returns it. */
export interface OutboxRow {
  id: string;
  taskId: string | null;
  kind: OutboxKind;
  messageId: string;
  exchange: string;
  routingKey: string;
  headers: Record<string, string | number>;
  /** The message body as the JSON text to publish. */
  body: string;
  /** The body's correlationId, '' when it has none. */
  correlationId: string;
  attempts: number;
  /** A dispatch row whose task was still NEW when claimed, and is now locked by the claim. */
  dispatchable: boolean;
}

/** What one batch did with its rows. */
export interface OutboxOutcome {
  /** Rows the broker confirmed. */
  published: readonly OutboxRow[];
  /** Dispatch rows whose task had left NEW: nothing is sent, the row is closed with `note`. */
  unsent: readonly OutboxRow[];
  note: string;
}

/**
 * The relay's reads and writes of the outbox. Each call runs on the relay's transaction. The
 * claim and the outcome run as named prepared statements where the executor keeps them (see
 * {@link SqlExecutor.queryPrepared}), planned once per connection.
 */
@Injectable()
export class OutboxRepository {
  async claimBatch(tx: SqlExecutor, limit: number): Promise<OutboxRow[]> {
    const { rows } = await queryPrepared<OutboxRow>(tx, 'relay_claim_outbox_batch', CLAIM_OUTBOX_BATCH, [limit]);
    return rows;
  }

  /** Marks the published and the unsent rows, and moves the tasks of published dispatch rows to PENDING, in one statement. */
  async recordOutcome(tx: SqlExecutor, outcome: OutboxOutcome): Promise<void> {
    if (outcome.published.length === 0 && outcome.unsent.length === 0) return;
    const publishedIds: string[] = [];
    const dispatchedTasks: string[] = [];
    for (const row of outcome.published) {
      publishedIds.push(row.id);
      if (row.kind === 'dispatch' && row.taskId) dispatchedTasks.push(row.taskId);
    }
    await queryPrepared(tx, 'relay_record_outbox_outcome', RECORD_OUTBOX_OUTCOME, [
      publishedIds,
      outcome.unsent.map((r) => r.id),
      outcome.note,
      dispatchedTasks,
      PENDING_SOURCES,
    ]);
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

/** The statuses a task may move to PENDING from, by the status machine. */
const PENDING_SOURCES = TaskStatusMachine.sourcesOf(TaskStatus.PENDING);

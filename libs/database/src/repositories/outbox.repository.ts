import { Injectable } from '@nestjs/common';
import { TaskStatus, TaskStatusMachine } from '#tasks/core';
import { CLAIM_OUTBOX_BATCH } from '../sql/claim-outbox-batch.sql.js';
import { RECORD_OUTBOX_OUTCOME } from '../sql/mark-outbox-published.sql.js';
import { RECORD_OUTBOX_FAILURE } from '../sql/record-outbox-failure.sql.js';
import type { SqlExecutor } from '../sql-executor.js';

/** `event`: a task's terminal event, written by the `tasks_terminal_event` trigger (migration task-routing-and-events). */
export type OutboxKind = 'dispatch' | 'retry' | 'dead-letter' | 'control' | 'redispatch' | 'event';

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
  /** A dispatch row whose task was still NEW when claimed, and is now locked by the claim. */
  dispatchable: boolean;
}

/** What one batch did with its rows. */
export interface OutboxOutcome {
  /** Rows the broker confirmed. */
  published: OutboxRow[];
  /** Dispatch rows whose task had left NEW: nothing is sent, the row is closed with `note`. */
  unsent: OutboxRow[];
  note: string;
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
  dispatchable: boolean;
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
      dispatchable: r.dispatchable,
    }));
  }

  /** Marks the published and the unsent rows, and moves the tasks of published dispatch rows to PENDING, in one statement. */
  async recordOutcome(tx: SqlExecutor, outcome: OutboxOutcome): Promise<void> {
    if (outcome.published.length === 0 && outcome.unsent.length === 0) return;
    await tx.query(RECORD_OUTBOX_OUTCOME, [
      outcome.published.map((r) => r.id),
      outcome.unsent.map((r) => r.id),
      outcome.note,
      outcome.published.filter((r) => r.kind === 'dispatch' && r.taskId).map((r) => r.taskId!),
      TaskStatusMachine.sourcesOf(TaskStatus.PENDING),
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

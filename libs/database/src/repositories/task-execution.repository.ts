import { Injectable } from '@nestjs/common';
import type { OutgoingMessage } from '#messaging';
import { TaskStatus, TaskStatusMachine } from '#tasks/core';
import { CLAIM_TASK } from '../sql/claim-task.sql.js';
import { FINISH_CANCELLED_TASK } from '../sql/cancel-task.sql.js';
import { COMPLETE_TASK, FAIL_TASK, REPORT_PROGRESS, RETRY_TASK } from '../sql/finish-task.sql.js';
import { lostRaceAs } from '../database-errors.js';
import { RELEASE_LEASE } from '../sql/release-lease.sql.js';
import { RENEW_LEASES } from '../sql/renew-leases.sql.js';
import type { SqlExecutor } from '../sql-executor.js';
import { outboxParams } from './outbox-params.js';
import type { TaskRow } from '../task.record.js';

/** Statuses a delivery may claim from, besides the take-over of an expired IN_PROGRESS lease. */
const CLAIMABLE = TaskStatusMachine.sourcesOf(TaskStatus.IN_PROGRESS).filter((s) => s !== TaskStatus.IN_PROGRESS);

/** What a write that lost its race to the status machine's trigger returns: no row, as when fenced out. */
const NO_ROWS = { rows: [], rowCount: 0 };

/** The status a finishing write wrote: the one asked for, or CANCELLED when a cancel was requested; null when fenced out. */
export type FinishedStatus = TaskStatus.COMPLETED | TaskStatus.RETRYING | TaskStatus.FAILED | TaskStatus.CANCELLED;

/** One attempt the heartbeat still holds, and whether a user asked to cancel it. */
export interface RenewedLease {
  token: string;
  cancelRequested: boolean;
}

export interface Claim {
  taskId: string;
  attempt: number;
  /** Unique per claim; fences every later write of this attempt. */
  token: string;
}

/**
 * The worker's writes to a task, each one guarded by the status machine and fenced by the
 * claim token: a write whose claim was taken over matches no row and returns false. A write
 * the database refuses as an illegal status change (the `tasks_status_guard` trigger) lost
 * the same race by another road, and returns false (null for a claim) too, rather than
 * failing the message. Each is one statement on its own: pass the pool, not a transaction.
 */
@Injectable()
export class TaskExecutionRepository {
  async claim(executor: SqlExecutor, claim: Claim, leaseSeconds: number): Promise<TaskRow | null> {
    const { rows } = await lostRaceAs(executor.query<TaskRow>(CLAIM_TASK, [claim.taskId, claim.attempt, claim.token, leaseSeconds, CLAIMABLE]), NO_ROWS);
    return rows[0] ?? null;
  }

  /**
   * Renews the lease of every attempt in `claims` for `leaseSeconds`, in one statement. Returns
   * the attempts still held (by token); an attempt not in the answer has lost its lease.
   */
  async renewLeases(executor: SqlExecutor, claims: readonly Claim[], leaseSeconds: number): Promise<RenewedLease[]> {
    if (claims.length === 0) return [];
    const { rows } = await executor.query<{ token: string; cancel_requested: boolean }>(RENEW_LEASES, [
      claims.map((c) => c.taskId),
      claims.map((c) => c.token),
      leaseSeconds,
    ]);
    return rows.map((r) => ({ token: r.token, cancelRequested: r.cancel_requested }));
  }

  /** Expires the lease of an attempt handed back at shutdown, so its redelivery may take over at once. */
  async releaseLease(executor: SqlExecutor, claim: Claim): Promise<boolean> {
    const { rowCount } = await executor.query(RELEASE_LEASE, [claim.taskId, claim.token]);
    return rowCount > 0;
  }

  /** COMPLETED with `resultJson` (already checked to be storable), or CANCELLED if a cancel was requested. */
  async complete(executor: SqlExecutor, claim: Claim, resultJson: string): Promise<FinishedStatus | null> {
    const { rows } = await lostRaceAs(executor.query<{ status: FinishedStatus }>(COMPLETE_TASK, [claim.taskId, claim.token, resultJson]), NO_ROWS);
    return rows[0]?.status ?? null;
  }

  /** RETRYING, with the retry message written in the same statement (or CANCELLED, without it). */
  async scheduleRetry(executor: SqlExecutor, claim: Claim, error: string, delaySeconds: number, message: OutgoingMessage): Promise<FinishedStatus | null> {
    const { rows } = await lostRaceAs(
      executor.query<{ status: FinishedStatus }>(RETRY_TASK, [claim.taskId, claim.token, error, delaySeconds, ...outboxParams(message)]),
      NO_ROWS,
    );
    return rows[0]?.status ?? null;
  }

  /** FAILED for good, with the copy for tasks.dlq written in the same statement (or CANCELLED, without it). */
  async fail(executor: SqlExecutor, claim: Claim, error: string, deadLetter: OutgoingMessage): Promise<FinishedStatus | null> {
    const { rows } = await lostRaceAs(
      executor.query<{ status: FinishedStatus }>(FAIL_TASK, [claim.taskId, claim.token, error, ...outboxParams(deadLetter)]),
      NO_ROWS,
    );
    return rows[0]?.status ?? null;
  }

  /** CANCELLED after the handler stopped on a cancel request. */
  async finishCancelled(executor: SqlExecutor, claim: Claim): Promise<boolean> {
    const { rowCount } = await lostRaceAs(executor.query(FINISH_CANCELLED_TASK, [claim.taskId, claim.token]), NO_ROWS);
    return rowCount > 0;
  }

  async reportProgress(executor: SqlExecutor, claim: Claim, percent: number): Promise<boolean> {
    const { rowCount } = await executor.query(REPORT_PROGRESS, [claim.taskId, claim.token, percent]);
    return rowCount > 0;
  }
}

import { Injectable } from '@nestjs/common';
import type { OutgoingMessage } from '#messaging';
import { TaskStatus, TaskStatusMachine } from '#tasks/core';
import { CLAIM_TASK, CLAIM_TASKS } from '../sql/claim-task.sql.js';
import { FINISH_CANCELLED_TASK } from '../sql/cancel-task.sql.js';
import { COMPLETE_TASK, FAIL_TASK, FINISH_TASKS, REPORT_PROGRESS, RETRY_TASK } from '../sql/finish-task.sql.js';
import { lostRaceAs } from '../database-errors.js';
import { RELEASE_LEASE } from '../sql/release-lease.sql.js';
import { RENEW_LEASES } from '../sql/renew-leases.sql.js';
import { queryPrepared, type SqlExecutor } from '../sql-executor.js';
import { outboxParams } from './outbox-params.js';
import type { TaskRow } from '../task.record.js';

/** Statuses a delivery may claim from, besides the take-over of an expired IN_PROGRESS lease. */
const CLAIMABLE = TaskStatusMachine.sourcesOf(TaskStatus.IN_PROGRESS).filter((s) => s !== TaskStatus.IN_PROGRESS);

/** What a write that lost its race to the status machine's trigger returns: no row, as when fenced out. */
const NO_ROWS = { rows: [], rowCount: 0 };

/** The columns of a task a claim answers with: what the worker needs to run it and to count it. */
export type ClaimedTask = Pick<
  TaskRow,
  | 'id'
  | 'type'
  | 'priority'
  | 'payload'
  | 'status'
  | 'attempts'
  | 'max_attempts'
  | 'correlation_id'
  | 'locked_by'
  | 'cancel_requested_at'
  | 'created_at'
  | 'run_at'
  | 'started_at'
  | 'queue_group'
>;

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

/** The finishing write of one attempt, as {@link TaskExecutionRepository.finishMany} and `finishOne` take it. */
export type Finish =
  | { action: 'complete'; claim: Claim; resultJson: string }
  | { action: 'retry'; claim: Claim; error: string; delaySeconds: number; message: OutgoingMessage }
  | { action: 'fail'; claim: Claim; error: string; deadLetter: OutgoingMessage }
  | { action: 'cancel'; claim: Claim };

/**
 * The worker's writes to a task, each one guarded by the status machine and fenced by the
 * claim token: a write whose claim was taken over matches no row and returns false. A write
 * the database refuses as an illegal status change (the `tasks_status_guard` trigger) lost
 * the same race by another road, and returns false (null for a claim) too, rather than
 * failing the message. Each is one statement on its own: pass the pool, not a transaction.
 * The statements of the worker's hot path (claims, outcomes, lease renewals) go as named
 * prepared statements where the executor keeps them (see {@link SqlExecutor.queryPrepared}).
 */
@Injectable()
export class TaskExecutionRepository {
  async claim(executor: SqlExecutor, claim: Claim, leaseSeconds: number): Promise<ClaimedTask | null> {
    const { rows } = await lostRaceAs(
      queryPrepared<ClaimedTask>(executor, 'worker_claim_task', CLAIM_TASK, [claim.taskId, claim.attempt, claim.token, leaseSeconds, CLAIMABLE]),
      NO_ROWS,
    );
    return rows[0] ?? null;
  }

  /**
   * Claims every delivery in `claims` in one statement (one commit), each one matching exactly
   * as {@link claim} would. Returns the rows claimed by claim token; a claim missing from the
   * answer matched nothing. An error fails the whole batch: nothing of it was claimed.
   */
  async claimMany(executor: SqlExecutor, claims: readonly Claim[], leaseSeconds: number): Promise<Map<string, ClaimedTask>> {
    if (claims.length === 0) return new Map();
    const { rows } = await queryPrepared<ClaimedTask>(executor, 'worker_claim_tasks', CLAIM_TASKS, [
      arrayParam(claims, (c) => c.taskId),
      arrayParam(claims, (c) => c.attempt),
      arrayParam(claims, (c) => c.token),
      leaseSeconds,
      CLAIMABLE,
    ]);
    return new Map(rows.map((row) => [row.locked_by!, row]));
  }

  /**
   * Writes every finish in `finishes` in one statement (one commit), each row fenced by its own
   * token and honouring its own cancel request. Returns the status written by claim token; a
   * finish missing from the answer was fenced out. An error fails the whole batch, nothing of
   * it written: an illegal status change (TS001) or a value Postgres refuses in one row fails
   * its neighbours too, so the caller then writes them one by one ({@link finishOne}).
   */
  async finishMany(executor: SqlExecutor, batch: readonly Finish[]): Promise<Map<string, FinishedStatus>> {
    if (batch.length === 0) return new Map();
    // In the order of the task ids, as claim_tasks takes its rows: two statements that share
    // rows then tend to lock them in the same order.
    const finishes = [...batch].sort((a, b) => (a.claim.taskId < b.claim.taskId ? -1 : a.claim.taskId > b.claim.taskId ? 1 : 0));
    const outbox = (f: Finish) => (f.action === 'retry' ? f.message : f.action === 'fail' ? f.deadLetter : undefined);
    const { rows } = await queryPrepared<{ token: string; status: FinishedStatus }>(executor, 'worker_finish_tasks', FINISH_TASKS, [
      arrayParam(finishes, (f) => f.claim.taskId),
      arrayParam(finishes, (f) => f.claim.token),
      arrayParam(finishes, (f) => f.action),
      arrayParam(finishes, (f) => (f.action === 'complete' ? f.resultJson : undefined)),
      arrayParam(finishes, (f) => (f.action === 'retry' || f.action === 'fail' ? f.error : undefined)),
      arrayParam(finishes, (f) => (f.action === 'retry' ? f.delaySeconds : undefined)),
      arrayParam(finishes, (f) => outbox(f)?.messageId),
      arrayParam(finishes, (f) => outbox(f)?.exchange),
      arrayParam(finishes, (f) => outbox(f)?.routingKey),
      arrayParam(finishes, (f) => {
        const m = outbox(f);
        return m && JSON.stringify(m.headers);
      }),
      arrayParam(finishes, (f) => {
        const m = outbox(f);
        return m && JSON.stringify(m.body);
      }),
    ]);
    return new Map(rows.map((r) => [r.token, r.status]));
  }

  /** One finish on its own statement: the status written, or null when fenced out or refused by the status machine. */
  async finishOne(executor: SqlExecutor, finish: Finish): Promise<FinishedStatus | null> {
    switch (finish.action) {
      case 'complete':
        return this.complete(executor, finish.claim, finish.resultJson);
      case 'retry':
        return this.scheduleRetry(executor, finish.claim, finish.error, finish.delaySeconds, finish.message);
      case 'fail':
        return this.fail(executor, finish.claim, finish.error, finish.deadLetter);
      case 'cancel':
        return (await this.finishCancelled(executor, finish.claim)) ? TaskStatus.CANCELLED : null;
    }
  }

  /**
   * Renews the lease of every attempt in `claims` for `leaseSeconds`, in one statement. Returns
   * the attempts still held (by token); an attempt not in the answer has lost its lease.
   */
  async renewLeases(executor: SqlExecutor, claims: readonly Claim[], leaseSeconds: number): Promise<RenewedLease[]> {
    if (claims.length === 0) return [];
    const { rows } = await queryPrepared<{ token: string; cancel_requested: boolean }>(executor, 'worker_renew_leases', RENEW_LEASES, [
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
    const { rows } = await lostRaceAs(
      queryPrepared<{ status: FinishedStatus }>(executor, 'worker_complete_task', COMPLETE_TASK, [claim.taskId, claim.token, resultJson]),
      NO_ROWS,
    );
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

/** An element that needs no quotes in an array literal: a number, or text of letters, digits and `-:.` alone (ids, tokens, actions). */
const BARE = /^[A-Za-z0-9][A-Za-z0-9:.-]*$/;

/**
 * One column of a batch as a PostgreSQL array literal (`{a,"b c",NULL}`), written in one pass:
 * the same text node-postgres would send for the array, without its element-by-element string
 * building (a batch statement sends eleven of these). A column with no value in any row goes as
 * SQL NULL: the statements read their columns with the several-array `unnest`, which pads a
 * NULL array with NULLs to the length of the longest, so the row gets NULL as from the literal.
 */
function arrayParam<T>(items: readonly T[], pick: (item: T) => string | number | null | undefined): string | null {
  const elements: string[] = [];
  let any = false;
  for (const item of items) {
    const value = pick(item);
    if (value === null || value === undefined) {
      elements.push('NULL');
      continue;
    }
    any = true;
    const text = typeof value === 'number' ? String(value) : value;
    elements.push(BARE.test(text) && text.toUpperCase() !== 'NULL' ? text : `"${text.replace(/["\\]/g, '\\$&')}"`);
  }
  return any ? `{${elements.join(',')}}` : null;
}

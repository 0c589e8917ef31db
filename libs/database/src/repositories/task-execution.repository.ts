import { Injectable } from '@nestjs/common';
import type { OutgoingMessage } from '#messaging';
import { TaskStatus, TaskStatusMachine } from '#tasks';
import { CLAIM_TASK } from '../sql/claim-task.sql.js';
import { FINISH_CANCELLED_TASK } from '../sql/cancel-task.sql.js';
import { COMPLETE_TASK, FAIL_TASK, REPORT_PROGRESS, RETRY_TASK } from '../sql/finish-task.sql.js';
import { lostRaceAs } from '../database-errors.js';
import type { SqlExecutor } from '../sql-executor.js';
import { outboxParams } from './outbox-params.js';
import { type TaskRow } from '../task.record.js';

/** Statuses a delivery may claim from, besides the take-over of IN_PROGRESS. */
const CLAIMABLE = TaskStatusMachine.sourcesOf(TaskStatus.IN_PROGRESS).filter((s) => s !== TaskStatus.IN_PROGRESS);

/** What a write that lost its race returns: no row. */
const NOTHING = { rows: [], rowCount: 0 };

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
  async claim(executor: SqlExecutor, claim: Claim, leaseSeconds: number, redelivered: boolean): Promise<TaskRow | null> {
    const { rows } = await lostRaceAs(
      executor.query<TaskRow>(CLAIM_TASK, [claim.taskId, claim.attempt, claim.token, leaseSeconds, CLAIMABLE, redelivered]),
      { rows: [], rowCount: 0 },
    );
    return rows[0] ?? null;
  }

  async complete(executor: SqlExecutor, claim: Claim, result: unknown): Promise<boolean> {
    const { rowCount } = await lostRaceAs(executor.query(COMPLETE_TASK, [claim.taskId, claim.token, JSON.stringify(result ?? null)]), NOTHING);
    return rowCount > 0;
  }

  /** RETRYING, with the retry message written in the same statement. */
  async scheduleRetry(executor: SqlExecutor, claim: Claim, error: string, delaySeconds: number, message: OutgoingMessage): Promise<boolean> {
    const { rows } = await lostRaceAs(executor.query(RETRY_TASK, [claim.taskId, claim.token, error, delaySeconds, ...outboxParams(message)]), NOTHING);
    return rows.length > 0;
  }

  /** FAILED for good, with the copy for tasks.dlq written in the same statement. */
  async fail(executor: SqlExecutor, claim: Claim, error: string, deadLetter: OutgoingMessage): Promise<boolean> {
    const { rows } = await lostRaceAs(executor.query(FAIL_TASK, [claim.taskId, claim.token, error, ...outboxParams(deadLetter)]), NOTHING);
    return rows.length > 0;
  }

  /** CANCELLED after the handler stopped on a cancel request. */
  async finishCancelled(executor: SqlExecutor, claim: Claim): Promise<boolean> {
    const { rowCount } = await lostRaceAs(executor.query(FINISH_CANCELLED_TASK, [claim.taskId, claim.token]), NOTHING);
    return rowCount > 0;
  }

  async reportProgress(executor: SqlExecutor, claim: Claim, percent: number): Promise<boolean> {
    const { rowCount } = await executor.query(REPORT_PROGRESS, [claim.taskId, claim.token, percent]);
    return rowCount > 0;
  }
}

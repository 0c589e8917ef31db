import { Injectable } from '@nestjs/common';
import type { TaskPriority, TaskStatus } from '#tasks/core';
import { CLAIM_DEAD_LETTERS_FOR_REPLAY } from '../sql/claim-dead-letters-for-replay.sql.js';
import { FIND_DEAD_LETTER } from '../sql/find-dead-letter.sql.js';
import { LIST_DEAD_LETTERS } from '../sql/list-dead-letters.sql.js';
import { LOCK_TASKS_FOR_REPLAY } from '../sql/lock-tasks-for-replay.sql.js';
import { PURGE_TASK_FAILURES } from '../sql/purge-task-failures.sql.js';
import { SUMMARIZE_DEAD_LETTERS } from '../sql/summarize-dead-letters.sql.js';
import type { SqlExecutor } from '../sql-executor.js';
import { type TaskRecord, type TaskRow, toTaskRecord } from '../task.record.js';

/** Which tasks that failed for good a DLQ call is about. Null: not filtered. */
export interface DeadLetterFilter {
  types: string[] | null;
  reasons: string[] | null;
  /** Failed at or after. */
  since: Date | null;
}

/** A task that failed for good, with why (its dead-letter reason) and when. */
export interface DeadLetter {
  task: TaskRecord;
  reason: string;
  failedAt: Date;
}

/** One group of the DLQ's summary. */
export interface DeadLetterGroup {
  type: string;
  reason: string;
  count: number;
  oldestFailedAt: Date;
  newestFailedAt: Date;
}

export interface DeadLetterPage {
  items: DeadLetter[];
  /** Position of the last item, for the next page; null when there is no next page. */
  next: { failedAt: string; id: string } | null;
}

/** A task locked for a replay: what its dispatch message needs, and its status. */
export interface ReplayCandidate {
  id: string;
  type: string;
  priority: TaskPriority;
  status: TaskStatus;
  correlationId: string;
}

type DeadLetterRow = TaskRow & { reason: string; failed_at: Date };
type CandidateRow = { id: string; type: string; priority: TaskPriority; status: TaskStatus; correlation_id: string };

/**
 * Reads what failed for good (the view `dead_letters`: FAILED tasks with their reason) and
 * locks it for a replay; the replay itself is TaskRepository.requeueMany, the same statement as
 * a user's retry. Every method takes the executor (a transaction or the pool) explicitly.
 */
@Injectable()
export class DeadLetterRepository {
  async summarize(executor: SqlExecutor, filter: DeadLetterFilter): Promise<DeadLetterGroup[]> {
    const { rows } = await executor.query<{ type: string; reason: string; count: number; oldest_failed_at: Date; newest_failed_at: Date }>(
      SUMMARIZE_DEAD_LETTERS,
      [filter.types, filter.reasons, filter.since],
    );
    return rows.map((r) => ({ type: r.type, reason: r.reason, count: r.count, oldestFailedAt: r.oldest_failed_at, newestFailedAt: r.newest_failed_at }));
  }

  async list(executor: SqlExecutor, filter: DeadLetterFilter, after: { failedAt: string; id: string } | null, limit: number): Promise<DeadLetterPage> {
    const { rows } = await executor.query<DeadLetterRow & { cursor_failed_at: string }>(LIST_DEAD_LETTERS, [
      filter.types,
      filter.reasons,
      filter.since,
      after?.failedAt ?? null,
      after?.id ?? null,
      limit + 1,
    ]);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toDeadLetter),
      next: rows.length > limit && last ? { failedAt: last.cursor_failed_at, id: last.id } : null,
    };
  }

  /** The task with its reason when it is FAILED; null otherwise (or when there is no such task). */
  async find(executor: SqlExecutor, id: string): Promise<DeadLetter | null> {
    const { rows } = await executor.query<DeadLetterRow>(FIND_DEAD_LETTER, [id]);
    return rows[0] ? toDeadLetter(rows[0]) : null;
  }

  /** Locks the named tasks, whatever their status, in a transaction; missing ids are left out. */
  async lockForReplay(tx: SqlExecutor, ids: string[]): Promise<ReplayCandidate[]> {
    const { rows } = await tx.query<CandidateRow>(LOCK_TASKS_FOR_REPLAY, [ids]);
    return rows.map(toCandidate);
  }

  /**
   * The next batch of FAILED tasks that match, locked in a transaction (skipping those another
   * transaction holds), failed no later than `until`. `asOf` is the transaction's time: pass it
   * as `until` to the next batches of the same replay.
   */
  async claimForReplay(
    tx: SqlExecutor,
    filter: DeadLetterFilter,
    until: Date | null,
    batchSize: number,
  ): Promise<{ candidates: ReplayCandidate[]; asOf: Date | null }> {
    const { rows } = await tx.query<CandidateRow & { as_of: Date }>(CLAIM_DEAD_LETTERS_FOR_REPLAY, [
      filter.types,
      filter.reasons,
      filter.since,
      until,
      batchSize,
    ]);
    return { candidates: rows.map(toCandidate), asOf: rows[0]?.as_of ?? null };
  }

  /** Forgets the reasons of tasks that are no longer FAILED; returns how many. */
  async purgeStaleReasons(executor: SqlExecutor): Promise<number> {
    const { rowCount } = await executor.query(PURGE_TASK_FAILURES);
    return rowCount ?? 0;
  }
}

function toDeadLetter(row: DeadLetterRow): DeadLetter {
  return { task: toTaskRecord(row), reason: row.reason, failedAt: row.failed_at };
}

function toCandidate(row: CandidateRow): ReplayCandidate {
  return { id: row.id, type: row.type, priority: row.priority, status: row.status, correlationId: row.correlation_id };
}

import { Injectable } from '@nestjs/common';
import type { OutgoingMessage } from '#messaging';
import { type TaskPriority, TaskStatusMachine } from '#tasks/core';
import { BACKLOG_GAUGES, LOCAL_STATEMENT_TIMEOUT } from '../sql/backlog-gauges.sql.js';
import { FOLD_TASK_COUNTS } from '../sql/fold-task-counts.sql.js';
import { DELETE_EXPIRED_IDEMPOTENCY_KEYS } from '../sql/idempotency.sql.js';
import { DATABASE_CLOCK, FIND_UNQUEUED_TASKS, REDISPATCH_UNQUEUED_TASKS } from '../sql/reconcile-lost-messages.sql.js';
import { DELETE_FINISHED_TASKS, DELETE_GIVEN_UP_OUTBOX, DELETE_PUBLISHED_OUTBOX } from '../sql/retention.sql.js';
import { FIND_EXPIRED_LEASES, RELEASE_AND_REDISPATCH } from '../sql/sweep-leases.sql.js';
import type { SqlExecutor } from '../sql-executor.js';
import { outboxColumns } from './outbox-params.js';

/** What the reconciler needs to know about one priority queue. */
export interface QueueSnapshot {
  priority: TaskPriority;
  /** The queue group of the queue; null: `tasks.*`. */
  queueGroup: string | null;
  /** How many of the priority's tasks may have their message in its queue: the ready messages the broker reported, plus what its consumers may hold. */
  messagesHeld: number;
  /** The database clock read just before the broker was asked ({@link MaintenanceRepository.databaseClock}). */
  countedAt: Date;
}

/** What the relay's scrape-time gauges show: the outbox backlog and, per priority, the oldest waiting message. */
export interface Backlog {
  outbox: { pending: number; oldestSeconds: number };
  /** Seconds the oldest PENDING task of each priority has waited since it was published; a priority with none is absent. */
  oldestPendingSeconds: Partial<Record<TaskPriority, number>>;
}

/**
 * A task found for a re-dispatch, locked until the transaction that found it ends: what its
 * message is made of (the fields of a task message, and the attempts counted so far).
 */
export interface StrandedTask {
  taskId: string;
  type: string;
  priority: TaskPriority;
  /** The attempts counted so far: the attempt running (IN_PROGRESS) or the last one that ran. */
  attempts: number;
  correlationId: string;
  /** The task's queue group, whose queue of its priority the message goes to; null: `tasks.*`. */
  queueGroup: string | null;
}

/** The message that dispatches a stranded task again. */
export interface Redispatch {
  taskId: string;
  message: OutgoingMessage;
}

interface StrandedTaskRow {
  id: string;
  type: string;
  priority: TaskPriority;
  attempts: number;
  correlation_id: string;
  queue_group: string | null;
}

function toStrandedTask(row: StrandedTaskRow): StrandedTask {
  return {
    taskId: row.id,
    type: row.type,
    priority: row.priority,
    attempts: row.attempts,
    correlationId: row.correlation_id,
    queueGroup: row.queue_group,
  };
}

/**
 * The relay's housekeeping: the lease sweeper, the reconciler, the retention of the outbox,
 * idempotency keys and finished tasks (one batch per call), and the fold of the task counts.
 * The sweeper and the reconciler each find and lock their tasks with one call and write them
 * with another, in one transaction; the caller builds the messages in between.
 */
@Injectable()
export class MaintenanceRepository {
  /**
   * Finds and locks up to `limit` IN_PROGRESS tasks whose worker is gone: the lease ran out, or
   * a release by an earlier sweep was not picked up within `releasedGraceSeconds`. Run it in a
   * transaction and pass what it found to {@link releaseAndRedispatch} in the same one.
   */
  async findExpiredLeases(tx: SqlExecutor, limit: number, releasedGraceSeconds: number): Promise<StrandedTask[]> {
    const { rows } = await tx.query<StrandedTaskRow>(FIND_EXPIRED_LEASES, [limit, releasedGraceSeconds]);
    return rows.map(toStrandedTask);
  }

  /**
   * Releases the tasks found by {@link findExpiredLeases} and queues the take-over message of
   * each, in one statement; returns the ids of the tasks released. Run it in the transaction
   * that holds their locks.
   */
  async releaseAndRedispatch(tx: SqlExecutor, redispatches: readonly Redispatch[]): Promise<string[]> {
    if (redispatches.length === 0) return [];
    const input = redispatches.map(({ taskId, message }) => ({ id: taskId, ...outboxColumns(message) }));
    const released = await tx.query<{ task_id: string }>(RELEASE_AND_REDISPATCH, [JSON.stringify(input)]);
    return released.rows.map((r) => r.task_id);
  }

  /** The database's clock now; read it before asking the broker for a queue's depth. */
  async databaseClock(executor: SqlExecutor): Promise<Date> {
    const { rows } = await executor.query<{ now: Date }>(DATABASE_CLOCK);
    return rows[0].now;
  }

  /**
   * Finds and locks up to `limit` PENDING or RETRYING tasks of one work queue (priority and group) whose message the
   * queue cannot hold any more (see FIND_UNQUEUED_TASKS) and whose message is older than
   * `afterSeconds`. Run it in a transaction and pass what it found to
   * {@link redispatchUnqueued} in the same one.
   */
  async findUnqueued(tx: SqlExecutor, queue: QueueSnapshot, afterSeconds: number, limit: number): Promise<StrandedTask[]> {
    const { rows } = await tx.query<StrandedTaskRow>(FIND_UNQUEUED_TASKS, [
      queue.priority,
      queue.messagesHeld,
      queue.countedAt,
      afterSeconds,
      limit,
      queue.queueGroup,
    ]);
    return rows.map(toStrandedTask);
  }

  /**
   * Dispatches the tasks found by {@link findUnqueued} again with their messages, with a
   * timeline entry that says `detail`; returns their ids. Run it in the transaction that holds
   * their locks.
   */
  async redispatchUnqueued(tx: SqlExecutor, redispatches: readonly Redispatch[], detail: string): Promise<string[]> {
    if (redispatches.length === 0) return [];
    const input = redispatches.map(({ taskId, message }) => ({ id: taskId, ...outboxColumns(message), detail }));
    const queued = await tx.query<{ task_id: string }>(REDISPATCH_UNQUEUED_TASKS, [JSON.stringify(input)]);
    return queued.rows.map((r) => r.task_id);
  }

  /** Deletes up to `batch` published outbox rows older than `hours`; returns how many. */
  async deletePublishedOutbox(executor: SqlExecutor, hours: number, batch: number): Promise<number> {
    const { rowCount } = await executor.query(DELETE_PUBLISHED_OUTBOX, [hours, batch]);
    return rowCount;
  }

  /** Deletes up to `batch` outbox rows whose dispatch gave up more than `hours` ago; returns how many. */
  async deleteGivenUpOutbox(executor: SqlExecutor, hours: number, batch: number): Promise<number> {
    const { rowCount } = await executor.query(DELETE_GIVEN_UP_OUTBOX, [hours, batch]);
    return rowCount;
  }

  /** Deletes up to `batch` idempotency keys older than 24 hours; returns how many. */
  async deleteExpiredIdempotencyKeys(executor: SqlExecutor, batch: number): Promise<number> {
    const { rowCount } = await executor.query(DELETE_EXPIRED_IDEMPOTENCY_KEYS, [batch]);
    return rowCount;
  }

  /**
   * Deletes up to `batch` tasks that finished (COMPLETED, FAILED, CANCELLED) more than `days`
   * ago, with their timelines and outbox rows; returns how many tasks.
   */
  async deleteFinishedTasks(executor: SqlExecutor, days: number, batch: number): Promise<number> {
    const { rowCount } = await executor.query(DELETE_FINISHED_TASKS, [days, batch, TaskStatusMachine.terminal()]);
    return rowCount;
  }

  /** Folds up to `batch` pending count deltas into the task counts; returns how many it folded (0 when another relay is folding). */
  async foldTaskCounts(executor: SqlExecutor, batch: number): Promise<number> {
    const { rows } = await executor.query<{ folded: number }>(FOLD_TASK_COUNTS, [batch]);
    return rows[0]?.folded ?? 0;
  }

  /**
   * The backlog gauges, read in the caller's transaction with every statement after the first
   * bounded by `statementTimeoutMs` (SET LOCAL: it ends with the transaction).
   */
  async backlog(tx: SqlExecutor, statementTimeoutMs: number): Promise<Backlog> {
    await tx.query(LOCAL_STATEMENT_TIMEOUT, [String(statementTimeoutMs)]);
    const { rows } = await tx.query<{ count: number; oldest_seconds: number; oldest_pending: Partial<Record<TaskPriority, number>> }>(BACKLOG_GAUGES);
    return { outbox: { pending: rows[0].count, oldestSeconds: rows[0].oldest_seconds }, oldestPendingSeconds: rows[0].oldest_pending };
  }
}

import { Injectable } from '@nestjs/common';
import { dispatchMessage, queueOfPriority } from '#messaging';
import { type TaskPriority, TaskStatusMachine } from '#tasks';
import { FOLD_TASK_COUNTS } from '../sql/fold-task-counts.sql.js';
import { DELETE_EXPIRED_IDEMPOTENCY_KEYS } from '../sql/idempotency.sql.js';
import { DATABASE_CLOCK, FIND_UNQUEUED_TASKS, REDISPATCH_UNQUEUED_TASKS } from '../sql/reconcile-lost-messages.sql.js';
import { DELETE_FINISHED_TASKS, DELETE_GIVEN_UP_OUTBOX, DELETE_PUBLISHED_OUTBOX } from '../sql/retention.sql.js';
import { FIND_EXPIRED_LEASES, RELEASE_AND_REDISPATCH } from '../sql/sweep-leases.sql.js';
import type { SqlExecutor } from '../sql-executor.js';

/** What the reconciler needs to know about one priority queue. */
export interface QueueSnapshot {
  priority: TaskPriority;
  /** How many of the priority's tasks may have their message in its queue: the ready messages the broker reported, plus what its consumers may hold. */
  messagesHeld: number;
  /** The database clock read just before the broker was asked ({@link MaintenanceRepository.databaseClock}). */
  countedAt: Date;
}

/**
 * The relay's housekeeping: the lease sweeper, the reconciler, the retention of the outbox,
 * idempotency keys and finished tasks (one batch per call), and the fold of the task counts.
 */
@Injectable()
export class MaintenanceRepository {
  /**
   * Releases up to `limit` IN_PROGRESS tasks whose worker is gone and queues a take-over message
   * for each. Run it in a transaction: the rows stay locked from the find to the release.
   */
  async sweepExpiredLeases(tx: SqlExecutor, limit: number, releasedGraceSeconds: number): Promise<string[]> {
    const { rows } = await tx.query<{ id: string; type: string; priority: TaskPriority; attempts: number; correlation_id: string }>(
      FIND_EXPIRED_LEASES,
      [limit, releasedGraceSeconds],
    );
    if (rows.length === 0) return [];
    const input = rows.map((task) => {
      // The take-over message carries the attempt the task is in, which claim_task matches.
      const message = dispatchMessage({ taskId: task.id, type: task.type, priority: task.priority, correlationId: task.correlation_id }, task.attempts);
      return { id: task.id, message_id: message.messageId, exchange: message.exchange, routing_key: message.routingKey, headers: message.headers, body: message.body };
    });
    const released = await tx.query<{ task_id: string }>(RELEASE_AND_REDISPATCH, [JSON.stringify(input)]);
    return released.rows.map((r) => r.task_id);
  }

  /** The database's clock now; read it before asking the broker for a queue's depth. */
  async databaseClock(executor: SqlExecutor): Promise<Date> {
    const { rows } = await executor.query<{ now: Date }>(DATABASE_CLOCK);
    return rows[0].now;
  }

  /**
   * Dispatches again up to `limit` PENDING or RETRYING tasks of one priority whose message the
   * queue cannot hold any more (see FIND_UNQUEUED_TASKS) and whose message is older than
   * `afterSeconds`; returns their ids. Run it in a transaction: the rows stay locked from the
   * find to the re-dispatch.
   */
  async redispatchUnqueued(tx: SqlExecutor, queue: QueueSnapshot, afterSeconds: number, limit: number): Promise<string[]> {
    const { rows } = await tx.query<{ id: string; type: string; priority: TaskPriority; attempts: number; correlation_id: string }>(FIND_UNQUEUED_TASKS, [
      queue.priority,
      queue.messagesHeld,
      queue.countedAt,
      afterSeconds,
      limit,
    ]);
    if (rows.length === 0) return [];
    const detail = `re-dispatched: its message was not in ${queueOfPriority(queue.priority)}`;
    const input = rows.map((task) => {
      // The attempt the task waits for next, which claim_task accepts from PENDING or RETRYING.
      const message = dispatchMessage({ taskId: task.id, type: task.type, priority: task.priority, correlationId: task.correlation_id }, task.attempts + 1);
      return { id: task.id, message_id: message.messageId, exchange: message.exchange, routing_key: message.routingKey, headers: message.headers, body: message.body, detail };
    });
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
}

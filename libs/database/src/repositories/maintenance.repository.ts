import { Injectable } from '@nestjs/common';
import { dispatchMessage } from '#messaging';
import { type TaskPriority, TaskStatusMachine } from '#tasks';
import { FOLD_TASK_COUNTS } from '../sql/fold-task-counts.sql.js';
import { DELETE_EXPIRED_IDEMPOTENCY_KEYS } from '../sql/idempotency.sql.js';
import { DELETE_FINISHED_TASKS, DELETE_GIVEN_UP_OUTBOX, DELETE_PUBLISHED_OUTBOX } from '../sql/retention.sql.js';
import { FIND_EXPIRED_LEASES, RELEASE_AND_REDISPATCH } from '../sql/sweep-leases.sql.js';
import type { SqlExecutor } from '../sql-executor.js';

/**
 * The relay's housekeeping: the lease sweeper, the retention of the outbox, idempotency keys
 * and finished tasks (one batch per call), and the fold of the task counts.
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

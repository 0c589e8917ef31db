import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The relay's reconciler finds PENDING and RETRYING tasks whose message the broker no longer
 * holds (libs/database/src/sql/reconcile-lost-messages.sql.ts).
 *
 * - `dispatched_at`: when the relay last published the task's message (NEW → PENDING), or the
 *   reconciler last dispatched it again. A re-dispatch moves it on, so a task is dispatched
 *   again at most once per RECONCILE_AFTER_SECONDS. Rows from before this column fall back to
 *   `updated_at` (the time they became PENDING), so no backfill is needed.
 * - `tasks_queued_idx`: the tasks that should have a message in their priority queue, ordered
 *   by when that message entered it (for a RETRYING task: not before `next_retry_at`, when it
 *   leaves its delay queue). Partial, so it holds only the queued tasks however large the table
 *   grows; the reconciler walks it newest first and skips as many entries as the queue holds.
 *   The expression must stay the same as QUEUED_AT in that file.
 */
export class ReconcileLostMessages1764201000000 implements MigrationInterface {
  name = 'ReconcileLostMessages1764201000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE tasks ADD COLUMN dispatched_at timestamptz;
      CREATE INDEX tasks_queued_idx ON tasks (
        priority,
        (CASE WHEN status = 'RETRYING' THEN GREATEST(dispatched_at, next_retry_at) ELSE COALESCE(dispatched_at, updated_at) END) DESC,
        id DESC
      ) WHERE status IN ('PENDING', 'RETRYING');
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP INDEX tasks_queued_idx;
      ALTER TABLE tasks DROP COLUMN dispatched_at;
    `);
  }
}

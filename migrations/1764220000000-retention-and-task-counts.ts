import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retention of finished tasks, and task counts that `GET /tasks/stats` can read without
 * counting the tasks table.
 *
 * Counts: triggers append signed deltas per (status, priority) to `task_count_deltas`. The
 * table has no key and no index, so concurrent writers only ever append and never wait for one
 * another (a counter row per status would serialise every create and every status change on
 * its lock). The relay folds the deltas into `task_counts` (21 rows at most) every few
 * seconds; the stats read sums both in one snapshot, so a fold that commits meanwhile is seen
 * entirely or not at all.
 * - INSERT and DELETE: statement-level, with transition tables: one row per (status, priority)
 *   a statement touched, so a batch create of a thousand tasks or a retention batch appends a
 *   few rows, not a thousand.
 * - UPDATE: per row, only when the status (or priority) changed (the WHEN clause is checked
 *   without calling the function), appending -1 and +1. A statement-level trigger would have
 *   to run, and capture whole rows in transition tables, for every UPDATE of tasks (Postgres
 *   allows no column list with transition tables): progress writes and lease renewals slowed
 *   by 10 to 25 % in bench/stats-at-scale.mjs; with WHEN they pay nothing.
 * - TRUNCATE fires no DELETE trigger, so it empties both tables instead.
 *
 * Indexes for the clean-ups and the stats:
 * - `tasks_finished_idx` (completed_at, of finished tasks only): the retention's oldest-first batch.
 * - `outbox_failed_idx` (failed_at, rows whose dispatch gave up): their retention.
 * - `tasks_pending_age_idx` (priority, updated_at of PENDING tasks): the oldest waiting task
 *   of each queue is one index probe, however many tasks wait.
 *
 * The CREATE INDEX statements lock writes to tasks while they build; on a large table, run
 * this migration in a quiet moment (documents/deployment.md).
 */
export class RetentionAndTaskCounts1764220000000 implements MigrationInterface {
  name = 'RetentionAndTaskCounts1764220000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE task_counts (
        status   task_status   NOT NULL,
        priority task_priority NOT NULL,
        n        bigint        NOT NULL,
        PRIMARY KEY (status, priority)
      );
      CREATE TABLE task_count_deltas (
        status   task_status   NOT NULL,
        priority task_priority NOT NULL,
        delta    bigint        NOT NULL
      );

      CREATE FUNCTION task_counts_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO task_count_deltas (status, priority, delta)
        SELECT status, priority, count(*) FROM new_rows GROUP BY status, priority;
        RETURN NULL;
      END
      $$;
      CREATE FUNCTION task_counts_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO task_count_deltas (status, priority, delta)
        VALUES (OLD.status, OLD.priority, -1), (NEW.status, NEW.priority, 1);
        RETURN NULL;
      END
      $$;
      CREATE FUNCTION task_counts_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO task_count_deltas (status, priority, delta)
        SELECT status, priority, -count(*) FROM old_rows GROUP BY status, priority;
        RETURN NULL;
      END
      $$;
      CREATE FUNCTION task_counts_on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM task_count_deltas;
        DELETE FROM task_counts;
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER task_counts_insert AFTER INSERT ON tasks REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION task_counts_on_insert();
      CREATE TRIGGER task_counts_update AFTER UPDATE OF status, priority ON tasks FOR EACH ROW
        WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.priority IS DISTINCT FROM NEW.priority)
        EXECUTE FUNCTION task_counts_on_update();
      CREATE TRIGGER task_counts_delete AFTER DELETE ON tasks REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION task_counts_on_delete();
      CREATE TRIGGER task_counts_truncate AFTER TRUNCATE ON tasks
        FOR EACH STATEMENT EXECUTE FUNCTION task_counts_on_truncate();

      -- The triggers exist (and CREATE TRIGGER holds a lock that keeps writers out until this
      -- transaction commits), so this one count is exact and every later change is a delta.
      INSERT INTO task_counts (status, priority, n)
      SELECT status, priority, count(*) FROM tasks GROUP BY status, priority;

      CREATE INDEX tasks_finished_idx ON tasks (completed_at) WHERE completed_at IS NOT NULL;
      CREATE INDEX outbox_failed_idx ON outbox (failed_at) WHERE failed_at IS NOT NULL;
      CREATE INDEX tasks_pending_age_idx ON tasks (priority, updated_at) WHERE status = 'PENDING';
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP INDEX tasks_pending_age_idx;
      DROP INDEX outbox_failed_idx;
      DROP INDEX tasks_finished_idx;
      DROP TRIGGER task_counts_truncate ON tasks;
      DROP TRIGGER task_counts_delete ON tasks;
      DROP TRIGGER task_counts_update ON tasks;
      DROP TRIGGER task_counts_insert ON tasks;
      DROP FUNCTION task_counts_on_truncate();
      DROP FUNCTION task_counts_on_delete();
      DROP FUNCTION task_counts_on_update();
      DROP FUNCTION task_counts_on_insert();
      DROP TABLE task_count_deltas;
      DROP TABLE task_counts;
    `);
  }
}

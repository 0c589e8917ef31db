import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What failed for good, and why, queryable for `GET /api/v1/dlq` and its replay.
 *
 * A task that failed for good is FAILED in `tasks`; why it failed (`x-task-dead-reason`) was
 * only in the headers of its dead-letter copy, the outbox row of kind `dead-letter` that the
 * worker writes in the same statement as FAILED, and that row is deleted with the outbox's
 * retention (a day). So:
 *
 * - `task_failures` keeps the reason of each task's last dead-letter copy, one row per task,
 *   removed with its task. An AFTER INSERT trigger on `outbox`, with a WHEN on the kind, fills
 *   it: the worker's finishing statements stay as they are, the reason is recorded exactly when
 *   the copy is (the same statement), and the inserts of every other kind (one per created task)
 *   skip the trigger in its WHEN, without calling the function.
 * - `dead_letters` is the one definition of "failed for good, and why": every FAILED task,
 *   with its reason. A task whose dispatch gave up (the relay, after OUTBOX_MAX_ATTEMPTS) was
 *   never claimed in its current life (`started_at` is NULL, reset by every retry) and has no
 *   dead-letter copy: `dispatch-failed`. A reason row older than the task's last claim (a task
 *   retried since) is not current either; its claim (started_at) is later than the row.
 * - a partial index on FAILED tasks by failure time serves the DLQ's pages and replays; it has
 *   entries only for FAILED tasks, so it costs nothing to tasks that succeed.
 *
 * Existing dead-letter copies still in the outbox give their reasons to the table.
 */
export class DeadLetterReasons1764460000000 implements MigrationInterface {
  name = 'DeadLetterReasons1764460000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE task_failures (
        task_id   uuid PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE,
        reason    text NOT NULL,
        failed_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE FUNCTION task_failures_record() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO task_failures (task_id, reason, failed_at)
        VALUES (NEW.task_id, coalesce(NEW.headers->>'x-task-dead-reason', 'unknown'), now())
        ON CONFLICT (task_id) DO UPDATE SET reason = EXCLUDED.reason, failed_at = EXCLUDED.failed_at;
        RETURN NULL;
      END $$;
      CREATE TRIGGER outbox_dead_letter_reason AFTER INSERT ON outbox
        FOR EACH ROW WHEN (NEW.kind = 'dead-letter' AND NEW.task_id IS NOT NULL) EXECUTE FUNCTION task_failures_record();

      INSERT INTO task_failures (task_id, reason, failed_at)
      SELECT DISTINCT ON (o.task_id) o.task_id, coalesce(o.headers->>'x-task-dead-reason', 'unknown'), o.created_at
      FROM outbox o
      WHERE o.kind = 'dead-letter' AND o.task_id IS NOT NULL
      ORDER BY o.task_id, o.id DESC;

      CREATE VIEW dead_letters AS
      SELECT t.id AS task_id,
             t.type,
             t.completed_at AS failed_at,
             CASE WHEN t.started_at IS NULL THEN 'dispatch-failed'
                  WHEN f.failed_at >= t.started_at THEN f.reason
                  ELSE 'unknown' END AS reason
      FROM tasks t
      LEFT JOIN task_failures f ON f.task_id = t.id
      WHERE t.status = 'FAILED';

      CREATE INDEX tasks_failed_idx ON tasks (completed_at DESC, id DESC) WHERE status = 'FAILED';
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP INDEX IF EXISTS tasks_failed_idx;
      DROP VIEW dead_letters;
      DROP TRIGGER outbox_dead_letter_reason ON outbox;
      DROP FUNCTION task_failures_record();
      DROP TABLE task_failures;
    `);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Failure handling:
 *
 * - `task_events`: every status change of a task (and every take-over), written by a trigger in
 *   the statement that changes the task, so no code path can forget it. The worker is the claim
 *   token without its random suffix (host:pid).
 * - `claim_task` v2: a take-over (redelivery, expired lease, or a task the sweeper released) is
 *   a new attempt, so a handler that kills its worker every time runs out of attempts; the
 *   worker then fails the task rather than run it again.
 */
export class FailureHandling1764110000000 implements MigrationInterface {
  name = 'FailureHandling1764110000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE task_events (
        id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        task_id   uuid        NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
        at        timestamptz NOT NULL DEFAULT clock_timestamp(),
        status    task_status NOT NULL,
        attempt   integer     NOT NULL,
        worker    varchar(200),
        error     text,
        detail    text
      );
      CREATE INDEX task_events_task_idx ON task_events (task_id, id);

      CREATE FUNCTION task_events_record() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        holder text := COALESCE(NEW.locked_by, CASE WHEN TG_OP = 'UPDATE' THEN OLD.locked_by END);
      BEGIN
        IF TG_OP = 'UPDATE' AND NEW.status = OLD.status AND NEW.attempts = OLD.attempts
           AND NEW.locked_by IS NOT DISTINCT FROM OLD.locked_by THEN
          RETURN NULL;
        END IF;
        INSERT INTO task_events (task_id, status, attempt, worker, error, detail)
        VALUES (
          NEW.id, NEW.status, NEW.attempts,
          CASE WHEN NEW.status IN ('IN_PROGRESS', 'COMPLETED', 'RETRYING', 'FAILED', 'CANCELLED')
               THEN regexp_replace(holder, ':[0-9a-f-]{36}$', '') END,
          CASE WHEN NEW.status IN ('RETRYING', 'FAILED', 'CANCELLED') THEN NEW.error END,
          CASE
            WHEN TG_OP = 'INSERT' AND NEW.run_at IS NOT NULL
              THEN 'created; in the outbox until ' || to_char(NEW.run_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
            WHEN TG_OP = 'INSERT' THEN 'created; in the outbox'
            WHEN NEW.status = 'NEW' THEN 'retried by a user; back in the outbox'
            WHEN NEW.status = 'PENDING' THEN 'published to tasks.' || lower(NEW.priority::text)
            WHEN NEW.status = 'IN_PROGRESS' AND OLD.status = 'IN_PROGRESS' AND NEW.locked_by IS NULL THEN 'released by the lease sweeper: its worker is gone'
            WHEN NEW.status = 'IN_PROGRESS' AND OLD.status = 'IN_PROGRESS' THEN 'taken over: the previous worker was lost'
            WHEN NEW.status = 'IN_PROGRESS' THEN 'claimed by a worker'
            WHEN NEW.status = 'RETRYING'
              THEN 'waiting in the retry ladder until ' || to_char(NEW.next_retry_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
            WHEN NEW.status = 'FAILED' AND OLD.status = 'NEW' THEN 'dispatch gave up'
            WHEN NEW.status = 'FAILED' THEN 'failed for good; a copy is in tasks.dlq'
            WHEN NEW.status = 'COMPLETED' THEN 'completed'
            WHEN NEW.status = 'CANCELLED' THEN 'cancelled'
          END
        );
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER task_events_on_insert AFTER INSERT ON tasks FOR EACH ROW EXECUTE FUNCTION task_events_record();
      CREATE TRIGGER task_events_on_update AFTER UPDATE OF status, attempts, locked_by ON tasks FOR EACH ROW EXECUTE FUNCTION task_events_record();

      CREATE INDEX tasks_released_idx ON tasks (updated_at) WHERE status = 'IN_PROGRESS' AND locked_by IS NULL;

      -- 'redispatch': the lease sweeper's message for a task whose worker is gone.
      ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
      ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('dispatch', 'retry', 'dead-letter', 'control', 'redispatch'));

      CREATE OR REPLACE FUNCTION claim_task(
        p_id uuid, p_attempt integer, p_token text, p_lease_seconds integer,
        p_claimable task_status[], p_redelivered boolean
      ) RETURNS SETOF tasks LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        -- Wait for a relay that holds the row between its publish and its commit (see the init migration).
        PERFORM 1 FROM tasks WHERE id = p_id FOR UPDATE;
        RETURN QUERY
        UPDATE tasks
        SET status = 'IN_PROGRESS',
            attempts = CASE WHEN status = 'IN_PROGRESS' THEN attempts + 1 ELSE p_attempt END,
            locked_by = p_token,
            locked_until = now() + make_interval(secs => p_lease_seconds),
            started_at = now(), next_retry_at = NULL, updated_at = now()
        WHERE id = p_id
          AND (
            (status = ANY(p_claimable) AND attempts = p_attempt - 1)
            OR (status = 'IN_PROGRESS' AND attempts = p_attempt
                AND (p_redelivered OR locked_until < now() OR locked_by IS NULL))
          )
        RETURNING *;
      END
      $$;
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP TRIGGER task_events_on_update ON tasks;
      DROP TRIGGER task_events_on_insert ON tasks;
      DROP FUNCTION task_events_record();
      DROP TABLE task_events;
      DROP INDEX tasks_released_idx;
      DELETE FROM outbox WHERE kind = 'redispatch';
      ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
      ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('dispatch', 'retry', 'dead-letter', 'control'));
      CREATE OR REPLACE FUNCTION claim_task(
        p_id uuid, p_attempt integer, p_token text, p_lease_seconds integer,
        p_claimable task_status[], p_redelivered boolean
      ) RETURNS SETOF tasks LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        PERFORM 1 FROM tasks WHERE id = p_id FOR UPDATE;
        RETURN QUERY
        UPDATE tasks
        SET status = 'IN_PROGRESS', attempts = p_attempt, locked_by = p_token,
            locked_until = now() + make_interval(secs => p_lease_seconds),
            started_at = now(), next_retry_at = NULL, updated_at = now()
        WHERE id = p_id
          AND (
            (status = ANY(p_claimable) AND attempts = p_attempt - 1)
            OR (status = 'IN_PROGRESS' AND attempts = p_attempt AND (p_redelivered OR locked_until < now()))
          )
        RETURNING *;
      END
      $$;
    `);
  }
}

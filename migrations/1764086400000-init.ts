import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The tasks table and the transactional outbox.
 *
 * - `tasks_list_idx` serves the list endpoint, newest first with an id tie-break (keyset).
 * - `outbox_due_idx` is partial: the relay's claim reads only unpublished, unfailed rows,
 *   so the index stays as small as the backlog however large the table grows.
 * - A statement-level trigger sends `NOTIFY outbox_pending` when rows are inserted; Postgres
 *   delivers it at commit, so the relay never wakes for a row it cannot see yet.
 */
export class Init1764086400000 implements MigrationInterface {
  name = 'Init1764086400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TYPE task_status AS ENUM ('NEW', 'PENDING', 'IN_PROGRESS', 'RETRYING', 'COMPLETED', 'FAILED', 'CANCELLED');
      CREATE TYPE task_priority AS ENUM ('LOW', 'MEDIUM', 'HIGH');

      CREATE TABLE tasks (
        id               uuid PRIMARY KEY,
        type             varchar(100)  NOT NULL,
        title            varchar(200)  NOT NULL,
        description      varchar(5000),
        priority         task_priority NOT NULL DEFAULT 'MEDIUM',
        payload          jsonb         NOT NULL DEFAULT '{}'::jsonb,
        status           task_status   NOT NULL DEFAULT 'NEW',
        result           jsonb,
        error            text,
        attempts         integer       NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        max_attempts     integer       NOT NULL CHECK (max_attempts BETWEEN 1 AND 20),
        progress         smallint      CHECK (progress BETWEEN 0 AND 100),
        run_at           timestamptz,
        next_retry_at    timestamptz,
        correlation_id   varchar(200)  NOT NULL,
        locked_by        varchar(200),
        locked_until     timestamptz,
        cancel_requested_at timestamptz,
        created_at       timestamptz   NOT NULL DEFAULT now(),
        updated_at       timestamptz   NOT NULL DEFAULT now(),
        started_at       timestamptz,
        completed_at     timestamptz
      );
      CREATE INDEX tasks_list_idx ON tasks (created_at DESC, id DESC);
      CREATE INDEX tasks_status_list_idx ON tasks (status, created_at DESC, id DESC);
      CREATE INDEX tasks_lease_idx ON tasks (locked_until) WHERE status = 'IN_PROGRESS';

      CREATE TABLE outbox (
        id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        task_id       uuid REFERENCES tasks (id) ON DELETE CASCADE,
        kind          varchar(20)  NOT NULL CHECK (kind IN ('dispatch', 'retry', 'dead-letter', 'control')),
        message_id    uuid         NOT NULL,
        exchange      varchar(255) NOT NULL,
        routing_key   varchar(255) NOT NULL,
        headers       jsonb        NOT NULL DEFAULT '{}'::jsonb,
        body          jsonb        NOT NULL,
        available_at  timestamptz  NOT NULL DEFAULT now(),
        attempts      integer      NOT NULL DEFAULT 0,
        last_error    text,
        published_at  timestamptz,
        failed_at     timestamptz,
        created_at    timestamptz  NOT NULL DEFAULT now()
      );
      CREATE INDEX outbox_due_idx ON outbox (available_at, id) WHERE published_at IS NULL AND failed_at IS NULL;
      CREATE INDEX outbox_published_idx ON outbox (published_at) WHERE published_at IS NOT NULL;
      CREATE INDEX outbox_task_idx ON outbox (task_id);

      CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('outbox_pending', '');
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

      -- The worker's claim (libs/database/src/sql/claim-task.sql.ts says when it matches).
      -- A function, because it needs two statements with two snapshots in one round trip:
      -- the relay holds the task row locked from before its publish until it commits PENDING,
      -- and a worker may receive the message before that commit. A plain UPDATE would see
      -- NEW, match nothing and skip the task; here the first statement waits for the
      -- relay's lock, and the UPDATE then decides on the committed row (READ COMMITTED takes
      -- a new snapshot per statement in a volatile function).
      CREATE FUNCTION claim_task(
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

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP FUNCTION claim_task(uuid, integer, text, integer, task_status[], boolean);
      DROP TABLE outbox;
      DROP FUNCTION outbox_notify();
      DROP TABLE tasks;
      DROP TYPE task_priority;
      DROP TYPE task_status;
    `);
  }
}

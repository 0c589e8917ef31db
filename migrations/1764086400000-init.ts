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
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP TABLE outbox;
      DROP FUNCTION outbox_notify();
      DROP TABLE tasks;
      DROP TYPE task_priority;
      DROP TYPE task_status;
    `);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * No NOTIFY for an outbox insert that inserted nothing.
 *
 * The worker's outcome statement (FINISH_TASKS) writes the retry messages and dead-letter copies
 * of its batch with an INSERT into the outbox in a CTE, and a data-modifying CTE always runs: a
 * batch of completions inserts no row, yet fires the statement-level `outbox_notify` trigger.
 * With no row inserted, `min(id)` of the transition table is NULL, `o.id < NULL` matches nothing,
 * and the trigger sent `pg_notify('outbox_pending')`: every outcome statement of a drain
 * notified. That costs twice: Postgres serialises the commits of the transactions that sent a
 * NOTIFY (one lock for the database, held through the commit), so the worker's outcome commits
 * queued behind each other and behind the API's creates; and every relay woke up and claimed an
 * empty outbox once per outcome statement. Measured on a drain of noop tasks before this: one
 * NOTIFY per outcome statement (auto_explain of FINISH_TASKS with 20 completions shows the
 * trigger's `SELECT pg_notify('outbox_pending', '')`).
 *
 * The trigger now returns at once when its statement inserted no row; otherwise it is the same
 * (notify only when no older due row is still unpublished, see QuietOutboxNotify1764120000000).
 */
export class OutboxNotifyOnlyWithRows1764500000000 implements MigrationInterface {
  name = 'OutboxNotifyOnlyWithRows1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM inserted) THEN
          RETURN NULL;
        END IF;
        IF NOT EXISTS (
          SELECT 1 FROM outbox o
          WHERE o.published_at IS NULL AND o.failed_at IS NULL AND o.available_at <= now()
            AND o.id < (SELECT min(id) FROM inserted)
        ) THEN
          PERFORM pg_notify('outbox_pending', '');
        END IF;
        RETURN NULL;
      END
      $$;
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT EXISTS (
          SELECT 1 FROM outbox o
          WHERE o.published_at IS NULL AND o.failed_at IS NULL AND o.available_at <= now()
            AND o.id < (SELECT min(id) FROM inserted)
        ) THEN
          PERFORM pg_notify('outbox_pending', '');
        END IF;
        RETURN NULL;
      END
      $$;
    `);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * NOTIFY only when the relay may be idle.
 *
 * Postgres serialises the commits of every transaction that sent a NOTIFY (one global queue
 * lock); at 32 concurrent creates that cost a third of the create statement's throughput. A
 * relay that is draining does not need the signal: it claims again until a claim comes back
 * empty. So the trigger notifies only when no older due row is still unpublished; a row
 * claimed by a relay mid-batch still counts as unpublished, and that relay will claim again.
 * At idle every insert notifies, as before.
 */
export class QuietOutboxNotify1764120000000 implements MigrationInterface {
  name = 'QuietOutboxNotify1764120000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP TRIGGER outbox_notify ON outbox;
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
      CREATE TRIGGER outbox_notify AFTER INSERT ON outbox REFERENCING NEW TABLE AS inserted
        FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP TRIGGER outbox_notify ON outbox;
      CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('outbox_pending', '');
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
    `);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Idempotency-Key of POST /tasks and POST /tasks/batch: one row per (scope, key) with the hash
 * of the request it first came with and the tasks it created. The primary key makes two
 * concurrent requests with one key create one set of tasks: the second INSERT waits for the
 * first transaction and then finds its row.
 */
export class IdempotencyKeys1764100000000 implements MigrationInterface {
  name = 'IdempotencyKeys1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE idempotency_keys (
        scope         varchar(50)  NOT NULL,
        key           varchar(255) NOT NULL,
        request_hash  char(64)     NOT NULL,
        task_ids      uuid[]       NOT NULL DEFAULT '{}',
        created_at    timestamptz  NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, key)
      );
      CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE idempotency_keys;`);
  }
}

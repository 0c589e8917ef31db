import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Idempotency keys are scoped per API key: the scope becomes `tasks` or `tasks.batch` followed by
 * `:` and the SHA-256 digest (hex) of the API key the request came with, so one client's key can
 * neither replay nor block another client's request. The API key itself is never stored. 76
 * characters at most; the column grows to 100.
 */
export class IdempotencyScopePerApiKey1764240000000 implements MigrationInterface {
  name = 'IdempotencyScopePerApiKey1764240000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE idempotency_keys ALTER COLUMN scope TYPE varchar(100);`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Scoped rows do not fit the old column; they are replay records, kept 24 hours at most.
    await queryRunner.query(`
      DELETE FROM idempotency_keys WHERE length(scope) > 50;
      ALTER TABLE idempotency_keys ALTER COLUMN scope TYPE varchar(50);
    `);
  }
}

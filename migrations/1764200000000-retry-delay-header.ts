import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The retry ladder's header is `retry-delay`, no longer `x-retry-delay`: a headers exchange
 * ignores headers whose names start with `x-`, so the old bindings matched every message and
 * each retry landed in every delay queue (the shortest step won). The apps remove the old
 * bindings when they declare the topology; this rewrites the retry messages still waiting in
 * the outbox, which no new binding would route. Rows already published are left as they are.
 */
export class RetryDelayHeader1764200000000 implements MigrationInterface {
  name = 'RetryDelayHeader1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      UPDATE outbox
      SET headers = (headers - 'x-retry-delay') || jsonb_build_object('retry-delay', headers -> 'x-retry-delay')
      WHERE kind = 'retry' AND published_at IS NULL AND failed_at IS NULL AND headers ? 'x-retry-delay';
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      UPDATE outbox
      SET headers = (headers - 'retry-delay') || jsonb_build_object('x-retry-delay', headers -> 'retry-delay')
      WHERE kind = 'retry' AND published_at IS NULL AND failed_at IS NULL AND headers ? 'retry-delay';
    `);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A take-over only once the lease has expired.
 *
 * `claim_task` v3 drops the `p_redelivered` argument: a redelivered message no longer takes over
 * an IN_PROGRESS task. RabbitMQ redelivers whenever a channel closes (a broker blip, its
 * consumer_timeout, a worker whose connection dropped while its handler still runs), so
 * "redelivered" never meant "the holder is dead". The holder now renews a short lease
 * (TASK_LEASE_SECONDS) with a heartbeat while its handler runs; another worker may take the task
 * over only when that lease ran out (`locked_until < now()`) or the relay's lease sweeper
 * released it (`locked_by IS NULL`). A take-over stays a new attempt.
 */
export class LeaseTakeover1764230000000 implements MigrationInterface {
  name = 'LeaseTakeover1764230000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP FUNCTION claim_task(uuid, integer, text, integer, task_status[], boolean);
      CREATE FUNCTION claim_task(
        p_id uuid, p_attempt integer, p_token text, p_lease_seconds integer, p_claimable task_status[]
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
                AND (locked_by IS NULL OR locked_until < now()))
          )
        RETURNING *;
      END
      $$;
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP FUNCTION claim_task(uuid, integer, text, integer, task_status[]);
      CREATE FUNCTION claim_task(
        p_id uuid, p_attempt integer, p_token text, p_lease_seconds integer,
        p_claimable task_status[], p_redelivered boolean
      ) RETURNS SETOF tasks LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
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
}

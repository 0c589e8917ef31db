import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Claims in batches.
 *
 * `claim_tasks` claims several deliveries in one statement, one commit: the parallel arrays
 * `p_ids`, `p_attempts` and `p_tokens` hold one delivery each. Each one goes through
 * `claim_task` on its own, so each matches (or not) exactly as a single claim does, and a
 * delivery that matches nothing (a duplicate, a live lease elsewhere, a finished or cancelled
 * task) only leaves its row out of the answer. Two deliveries of one task in one batch are two
 * claims in a row: the second finds the first's live lease and matches nothing.
 *
 * The rows are taken in the order of their ids, so two batches that share tasks lock them in
 * the same order and do not deadlock each other.
 */
export class BatchClaims1764300000000 implements MigrationInterface {
  name = 'BatchClaims1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION claim_tasks(
        p_ids uuid[], p_attempts integer[], p_tokens text[], p_lease_seconds integer, p_claimable task_status[]
      ) RETURNS SETOF tasks LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        i integer;
      BEGIN
        IF cardinality(p_ids) <> cardinality(p_attempts) OR cardinality(p_ids) <> cardinality(p_tokens) THEN
          RAISE EXCEPTION 'claim_tasks needs as many attempts and tokens as ids (% ids, % attempts, % tokens)',
            cardinality(p_ids), cardinality(p_attempts), cardinality(p_tokens);
        END IF;
        FOR i IN SELECT u.n FROM unnest(p_ids) WITH ORDINALITY AS u(id, n) ORDER BY u.id, u.n LOOP
          RETURN QUERY SELECT * FROM claim_task(p_ids[i], p_attempts[i], p_tokens[i], p_lease_seconds, p_claimable);
        END LOOP;
      END
      $$;
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION claim_tasks(uuid[], integer[], text[], integer, task_status[]);`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

const CLAIM_TASKS = 'claim_tasks(uuid[], integer[], text[], integer, task_status[])';

/**
 * `claim_tasks` keeps its plans on the primary key, whatever the table looked like when it
 * planned them.
 *
 * The function plans its statements once per connection (`plan_cache_mode = force_generic_plan`,
 * see migration 1764400000000), on its first call. A worker that starts on an empty or small
 * `tasks` table (a new deployment; the benchmark, which truncates before its sustained step)
 * planned them for a table of ten pages: its lock of the batch's rows and its UPDATE read the
 * table instead of probing the primary key, and kept doing so on every call while the table
 * grew, until an ANALYZE of `tasks` made Postgres plan them again. Measured with
 * pg_stat_statements (nested statements tracked) while the API created 46,000 tasks in 15 s with
 * the relay and a worker running: the lock took 95 shared buffers per claimed task and the UPDATE
 * 129, 8 to 14 ms per call of about 20 tasks, most of the Postgres CPU of a task from create to
 * complete. A claim only ever touches the rows of its batch, by id, so the function now forbids
 * the plans that read the whole table (sequential scans, and the hash and merge joins that
 * need one): its plan is an index probe per row at any table size, and the generic plan is kept.
 * The statement trigger's joins of its transition tables (a batch's rows, tens) run as nested
 * loops under the same settings.
 */
export class ClaimsPlanByIndex1764540000000 implements MigrationInterface {
  name = 'ClaimsPlanByIndex1764540000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER FUNCTION ${CLAIM_TASKS} SET enable_seqscan = off`);
    await queryRunner.query(`ALTER FUNCTION ${CLAIM_TASKS} SET enable_hashjoin = off`);
    await queryRunner.query(`ALTER FUNCTION ${CLAIM_TASKS} SET enable_mergejoin = off`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER FUNCTION ${CLAIM_TASKS} RESET enable_seqscan`);
    await queryRunner.query(`ALTER FUNCTION ${CLAIM_TASKS} RESET enable_hashjoin`);
    await queryRunner.query(`ALTER FUNCTION ${CLAIM_TASKS} RESET enable_mergejoin`);
  }
}

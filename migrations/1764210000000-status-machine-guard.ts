import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Postgres enforces the task's status machine.
 *
 * `task_status_transitions` holds the legal (from, to) pairs, the same pairs as TRANSITIONS in
 * libs/tasks/src/status/task-status-machine.ts; test/integration/status-machine.int-spec.ts
 * compares the two both ways, so changing one without a migration for the other fails CI.
 *
 * `tasks_status_guard` runs BEFORE UPDATE OF status on every row and refuses any pair the
 * table does not hold, whatever wrote it: one of the guarded SQL strings, a PL/pgSQL body
 * such as claim_task, or a hand-written UPDATE. A same-status write is a transition too: a
 * statement that names `status` in its SET list and writes COMPLETED over COMPLETED is
 * refused; only IN_PROGRESS → IN_PROGRESS (a take-over) is in the table.
 *
 * The error has its own SQLSTATE, TS001 (illegal_status_transition), so the apps can tell a
 * write that lost a race to another status change from a real failure. The guarded writes of
 * the apps (`WHERE status = ANY(...)`) re-check their WHERE on the row a concurrent writer
 * committed (READ COMMITTED), so they match nothing rather than reach the trigger; the trigger
 * is what makes that true for every path, including the next one someone writes.
 */
export class StatusMachineGuard1764210000000 implements MigrationInterface {
  name = 'StatusMachineGuard1764210000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE task_status_transitions (
        from_status task_status NOT NULL,
        to_status   task_status NOT NULL,
        PRIMARY KEY (from_status, to_status)
      );
      INSERT INTO task_status_transitions (from_status, to_status) VALUES
        ('NEW', 'PENDING'), ('NEW', 'FAILED'), ('NEW', 'CANCELLED'),
        ('PENDING', 'IN_PROGRESS'), ('PENDING', 'CANCELLED'),
        ('IN_PROGRESS', 'IN_PROGRESS'), ('IN_PROGRESS', 'COMPLETED'), ('IN_PROGRESS', 'RETRYING'),
        ('IN_PROGRESS', 'FAILED'), ('IN_PROGRESS', 'CANCELLED'),
        ('RETRYING', 'IN_PROGRESS'), ('RETRYING', 'CANCELLED'),
        ('FAILED', 'NEW'),
        ('CANCELLED', 'NEW');

      -- One primary-key probe of a 14-row table per changed row: far below the cost of the
      -- UPDATE itself (which also writes a task_events row).
      CREATE FUNCTION tasks_status_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT EXISTS (
          SELECT 1 FROM task_status_transitions
          WHERE from_status = OLD.status AND to_status = NEW.status
        ) THEN
          RAISE EXCEPTION 'illegal status transition of task %: % → % is not allowed', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'TS001',
                  DETAIL = format('task %s is %s; the status machine does not allow %s → %s', OLD.id, OLD.status, OLD.status, NEW.status),
                  HINT = 'Guard the UPDATE with WHERE status = ANY(<the legal sources of the new status>).',
                  TABLE = 'tasks',
                  COLUMN = 'status';
        END IF;
        RETURN NEW;
      END
      $$;
      CREATE TRIGGER tasks_status_guard BEFORE UPDATE OF status ON tasks
        FOR EACH ROW EXECUTE FUNCTION tasks_status_guard();
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP TRIGGER tasks_status_guard ON tasks;
      DROP FUNCTION tasks_status_guard();
      DROP TABLE task_status_transitions;
    `);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Status changes paid per statement, not per row.
 *
 * Measured before this migration (bench/worker-drain.mjs, 10,000 noop tasks, prefetch 50): the
 * worker's claims and outcomes already went out about 18 rows a statement, yet Postgres spent
 * 0.35 ms of CPU per task. Per row, a claim ran `claim_task` (a lock, then an UPDATE) inside the
 * loop of `claim_tasks`, and each status change called three PL/pgSQL row triggers: the status
 * guard (one probe of `task_status_transitions`), the count trigger (two rows appended to
 * `task_count_deltas`) and the timeline trigger (one `task_events` row). This migration keeps
 * what each of them guarantees and changes how often they run:
 *
 * - `claim_tasks` v2 is set-based: one statement locks every row of the batch, in id order (two
 *   batches that share tasks take them in the same order and do not deadlock), and a second
 *   statement, with a new snapshot taken once the locks are held, updates every delivery that
 *   matches in one UPDATE over `unnest()`. Two statements for the reason the init migration
 *   gives: a relay may hold a row between its publish and its commit, and the decision must be
 *   made on the row it commits. A delivery matches exactly as before (PENDING or RETRYING with
 *   attempts = attempt - 1, or the take-over of an IN_PROGRESS row at that attempt whose lease
 *   ran out or was released). Two deliveries of one task in one batch: whether one matches
 *   depends only on its attempt, so of two copies of the same attempt the first (in batch
 *   order) claims and the second would find a live lease, and of different attempts at most
 *   one can match; the UPDATE keeps the first copy of each (task, attempt), which is what the
 *   loop did one claim after another. A delivery that matches nothing only leaves its row out
 *   of the answer. `claim_task` is now `claim_tasks` of one delivery: one definition of a match.
 *   The function plans its statements once (force_generic_plan): with the default, Postgres
 *   planned the UPDATE again on every call, which cost as much as running it.
 *
 * - `tasks_after_update`, one statement-level AFTER UPDATE trigger with transition tables
 *   (`old_rows`, `new_rows`), does in a few set-based statements what the row triggers did:
 *   it refuses the statement (SQLSTATE TS001, the same message, naming one offending task) when
 *   a row's status changed to one `task_status_transitions` does not allow; it appends one
 *   `task_events` row per task whose status, attempt or holder changed (the same columns and
 *   texts as before); and it appends the count deltas of the statement summed per (status,
 *   priority), so a batch of 50 claims appends two rows instead of a hundred.
 * - `tasks_status_guard` (BEFORE UPDATE OF status, per row) stays for what only a row trigger
 *   with a column list can see: a statement that names `status` in its SET list and writes a
 *   status over itself. Its WHEN clause (`OLD.status = NEW.status`) is checked without calling
 *   the function, so a row whose status changes (the common case, which the statement trigger
 *   checks) costs nothing here; IN_PROGRESS → IN_PROGRESS (a take-over) is still looked up.
 *   Both refuse through `tasks_refuse_transition`, so the error is the same whichever finds it.
 * - `tasks_after_insert` (statement-level) appends the created tasks' `task_events` rows and
 *   their count deltas.
 *
 * The cost moved, too: Postgres allows no column list on a trigger with transition tables, so
 * `tasks_after_update` runs for every UPDATE of tasks, lease renewals and progress writes
 * included, where the row triggers' column lists and WHEN clauses let those through for nothing.
 * For those it runs one query (did any status, priority, attempt or holder change?) and writes
 * nothing: a one-row progress write costs one trigger call more than before, a batch of status
 * changes far less (documents/benchmarks.md, "Status writes per statement", has the figures).
 */
export class SetBasedStatusWrites1764400000000 implements MigrationInterface {
  name = 'SetBasedStatusWrites1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP FUNCTION claim_tasks(uuid[], integer[], text[], integer, task_status[]);
      DROP FUNCTION claim_task(uuid, integer, text, integer, task_status[]);

      CREATE FUNCTION claim_tasks(
        p_ids uuid[], p_attempts integer[], p_tokens text[], p_lease_seconds integer, p_claimable task_status[]
      ) RETURNS SETOF tasks LANGUAGE plpgsql VOLATILE
      SET plan_cache_mode = force_generic_plan
      AS $$
      BEGIN
        IF cardinality(p_ids) <> cardinality(p_attempts) OR cardinality(p_ids) <> cardinality(p_tokens) THEN
          RAISE EXCEPTION 'claim_tasks needs as many attempts and tokens as ids (% ids, % attempts, % tokens)',
            cardinality(p_ids), cardinality(p_attempts), cardinality(p_tokens);
        END IF;
        -- Wait for a relay that holds one of the rows between its publish and its commit (see the
        -- init migration); in id order, so batches that share tasks lock them in the same order.
        PERFORM 1 FROM tasks WHERE id = ANY(p_ids) ORDER BY id FOR UPDATE;
        -- A new snapshot: every row as last committed, and locked by us until we commit.
        RETURN QUERY
        UPDATE tasks
        SET status = 'IN_PROGRESS',
            attempts = CASE WHEN tasks.status = 'IN_PROGRESS' THEN tasks.attempts + 1 ELSE d.attempt END,
            locked_by = d.token,
            locked_until = now() + make_interval(secs => p_lease_seconds),
            started_at = now(), next_retry_at = NULL, updated_at = now()
        FROM (
          -- The first copy of each (task, attempt): the later ones would find its live lease.
          SELECT DISTINCT ON (u.id, u.attempt) u.id, u.attempt, u.token
          FROM unnest(p_ids, p_attempts, p_tokens) WITH ORDINALITY AS u(id, attempt, token, n)
          ORDER BY u.id, u.attempt, u.n
        ) d
        WHERE tasks.id = d.id
          AND (
            (tasks.status = ANY(p_claimable) AND tasks.attempts = d.attempt - 1)
            OR (tasks.status = 'IN_PROGRESS' AND tasks.attempts = d.attempt
                AND (tasks.locked_by IS NULL OR tasks.locked_until < now()))
          )
        RETURNING tasks.*;
      END
      $$;

      CREATE FUNCTION claim_task(
        p_id uuid, p_attempt integer, p_token text, p_lease_seconds integer, p_claimable task_status[]
      ) RETURNS SETOF tasks LANGUAGE sql VOLATILE AS $$
        SELECT * FROM claim_tasks(ARRAY[p_id], ARRAY[p_attempt], ARRAY[p_token], p_lease_seconds, p_claimable)
      $$;

      CREATE FUNCTION tasks_refuse_transition(p_id uuid, p_from task_status, p_to task_status) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'illegal status transition of task %: % → % is not allowed', p_id, p_from, p_to
          USING ERRCODE = 'TS001',
                DETAIL = format('task %s is %s; the status machine does not allow %s → %s', p_id, p_from, p_from, p_to),
                HINT = 'Guard the UPDATE with WHERE status = ANY(<the legal sources of the new status>).',
                TABLE = 'tasks',
                COLUMN = 'status';
      END
      $$;

      CREATE OR REPLACE FUNCTION tasks_status_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT EXISTS (
          SELECT 1 FROM task_status_transitions
          WHERE from_status = OLD.status AND to_status = NEW.status
        ) THEN
          PERFORM tasks_refuse_transition(OLD.id, OLD.status, NEW.status);
        END IF;
        RETURN NEW;
      END
      $$;
      DROP TRIGGER tasks_status_guard ON tasks;
      CREATE TRIGGER tasks_status_guard BEFORE UPDATE OF status ON tasks
        FOR EACH ROW WHEN (OLD.status = NEW.status) EXECUTE FUNCTION tasks_status_guard();

      CREATE FUNCTION tasks_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        refused record;
      BEGIN
        -- A lease renewal or a progress write: nothing to check or record, one query.
        IF NOT EXISTS (
          SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
          WHERE n.status <> o.status OR n.priority <> o.priority OR n.attempts <> o.attempts
             OR n.locked_by IS DISTINCT FROM o.locked_by
        ) THEN
          RETURN NULL;
        END IF;

        SELECT o.id, o.status AS from_status, n.status AS to_status INTO refused
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE n.status <> o.status
          AND NOT EXISTS (SELECT 1 FROM task_status_transitions t WHERE t.from_status = o.status AND t.to_status = n.status)
        LIMIT 1;
        IF FOUND THEN
          PERFORM tasks_refuse_transition(refused.id, refused.from_status, refused.to_status);
        END IF;

        INSERT INTO task_events (task_id, status, attempt, worker, error, detail)
        SELECT n.id, n.status, n.attempts,
          CASE WHEN n.status IN ('IN_PROGRESS', 'COMPLETED', 'RETRYING', 'FAILED', 'CANCELLED')
               THEN regexp_replace(COALESCE(n.locked_by, o.locked_by), ':[0-9a-f-]{36}$', '') END,
          CASE WHEN n.status IN ('RETRYING', 'FAILED', 'CANCELLED') THEN n.error END,
          CASE
            WHEN n.status = 'NEW' THEN 'retried by a user; back in the outbox'
            WHEN n.status = 'PENDING' THEN 'published to tasks.' || lower(n.priority::text)
            WHEN n.status = 'IN_PROGRESS' AND o.status = 'IN_PROGRESS' AND n.locked_by IS NULL THEN 'released by the lease sweeper: its worker is gone'
            WHEN n.status = 'IN_PROGRESS' AND o.status = 'IN_PROGRESS' THEN 'taken over: the previous worker was lost'
            WHEN n.status = 'IN_PROGRESS' THEN 'claimed by a worker'
            WHEN n.status = 'RETRYING'
              THEN 'waiting in the retry ladder until ' || to_char(n.next_retry_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
            WHEN n.status = 'FAILED' AND o.status = 'NEW' THEN 'dispatch gave up'
            WHEN n.status = 'FAILED' THEN 'failed for good; a copy is in tasks.dlq'
            WHEN n.status = 'COMPLETED' THEN 'completed'
            WHEN n.status = 'CANCELLED' THEN 'cancelled'
          END
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE n.status <> o.status OR n.attempts <> o.attempts OR n.locked_by IS DISTINCT FROM o.locked_by;

        INSERT INTO task_count_deltas (status, priority, delta)
        SELECT s.status, s.priority, sum(s.delta)
        FROM old_rows o JOIN new_rows n ON n.id = o.id,
             LATERAL (VALUES (o.status, o.priority, -1), (n.status, n.priority, 1)) AS s(status, priority, delta)
        WHERE n.status <> o.status OR n.priority <> o.priority
        GROUP BY s.status, s.priority
        HAVING sum(s.delta) <> 0;
        RETURN NULL;
      END
      $$;

      CREATE FUNCTION tasks_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO task_events (task_id, status, attempt, worker, error, detail)
        SELECT n.id, n.status, n.attempts,
          CASE WHEN n.status IN ('IN_PROGRESS', 'COMPLETED', 'RETRYING', 'FAILED', 'CANCELLED')
               THEN regexp_replace(n.locked_by, ':[0-9a-f-]{36}$', '') END,
          CASE WHEN n.status IN ('RETRYING', 'FAILED', 'CANCELLED') THEN n.error END,
          CASE
            WHEN n.run_at IS NOT NULL
              THEN 'created; in the outbox until ' || to_char(n.run_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
            ELSE 'created; in the outbox'
          END
        FROM new_rows n;
        INSERT INTO task_count_deltas (status, priority, delta)
        SELECT status, priority, count(*) FROM new_rows GROUP BY status, priority;
        RETURN NULL;
      END
      $$;

      DROP TRIGGER task_events_on_insert ON tasks;
      DROP TRIGGER task_events_on_update ON tasks;
      DROP TRIGGER task_counts_insert ON tasks;
      DROP TRIGGER task_counts_update ON tasks;
      DROP FUNCTION task_events_record();
      DROP FUNCTION task_counts_on_insert();
      DROP FUNCTION task_counts_on_update();
      CREATE TRIGGER tasks_after_insert AFTER INSERT ON tasks REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION tasks_after_insert();
      CREATE TRIGGER tasks_after_update AFTER UPDATE ON tasks REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION tasks_after_update();
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP TRIGGER tasks_after_update ON tasks;
      DROP TRIGGER tasks_after_insert ON tasks;
      DROP FUNCTION tasks_after_update();
      DROP FUNCTION tasks_after_insert();

      -- The row triggers of the failure-handling, status-machine-guard and task-counts migrations.
      CREATE FUNCTION task_events_record() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        holder text := COALESCE(NEW.locked_by, CASE WHEN TG_OP = 'UPDATE' THEN OLD.locked_by END);
      BEGIN
        IF TG_OP = 'UPDATE' AND NEW.status = OLD.status AND NEW.attempts = OLD.attempts
           AND NEW.locked_by IS NOT DISTINCT FROM OLD.locked_by THEN
          RETURN NULL;
        END IF;
        INSERT INTO task_events (task_id, status, attempt, worker, error, detail)
        VALUES (
          NEW.id, NEW.status, NEW.attempts,
          CASE WHEN NEW.status IN ('IN_PROGRESS', 'COMPLETED', 'RETRYING', 'FAILED', 'CANCELLED')
               THEN regexp_replace(holder, ':[0-9a-f-]{36}$', '') END,
          CASE WHEN NEW.status IN ('RETRYING', 'FAILED', 'CANCELLED') THEN NEW.error END,
          CASE
            WHEN TG_OP = 'INSERT' AND NEW.run_at IS NOT NULL
              THEN 'created; in the outbox until ' || to_char(NEW.run_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
            WHEN TG_OP = 'INSERT' THEN 'created; in the outbox'
            WHEN NEW.status = 'NEW' THEN 'retried by a user; back in the outbox'
            WHEN NEW.status = 'PENDING' THEN 'published to tasks.' || lower(NEW.priority::text)
            WHEN NEW.status = 'IN_PROGRESS' AND OLD.status = 'IN_PROGRESS' AND NEW.locked_by IS NULL THEN 'released by the lease sweeper: its worker is gone'
            WHEN NEW.status = 'IN_PROGRESS' AND OLD.status = 'IN_PROGRESS' THEN 'taken over: the previous worker was lost'
            WHEN NEW.status = 'IN_PROGRESS' THEN 'claimed by a worker'
            WHEN NEW.status = 'RETRYING'
              THEN 'waiting in the retry ladder until ' || to_char(NEW.next_retry_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
            WHEN NEW.status = 'FAILED' AND OLD.status = 'NEW' THEN 'dispatch gave up'
            WHEN NEW.status = 'FAILED' THEN 'failed for good; a copy is in tasks.dlq'
            WHEN NEW.status = 'COMPLETED' THEN 'completed'
            WHEN NEW.status = 'CANCELLED' THEN 'cancelled'
          END
        );
        RETURN NULL;
      END
      $$;
      CREATE FUNCTION task_counts_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO task_count_deltas (status, priority, delta)
        SELECT status, priority, count(*) FROM new_rows GROUP BY status, priority;
        RETURN NULL;
      END
      $$;
      CREATE FUNCTION task_counts_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO task_count_deltas (status, priority, delta)
        VALUES (OLD.status, OLD.priority, -1), (NEW.status, NEW.priority, 1);
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER task_events_on_insert AFTER INSERT ON tasks FOR EACH ROW EXECUTE FUNCTION task_events_record();
      CREATE TRIGGER task_events_on_update AFTER UPDATE OF status, attempts, locked_by ON tasks FOR EACH ROW EXECUTE FUNCTION task_events_record();
      CREATE TRIGGER task_counts_insert AFTER INSERT ON tasks REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION task_counts_on_insert();
      CREATE TRIGGER task_counts_update AFTER UPDATE OF status, priority ON tasks FOR EACH ROW
        WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.priority IS DISTINCT FROM NEW.priority)
        EXECUTE FUNCTION task_counts_on_update();

      CREATE OR REPLACE FUNCTION tasks_status_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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
      DROP TRIGGER tasks_status_guard ON tasks;
      CREATE TRIGGER tasks_status_guard BEFORE UPDATE OF status ON tasks
        FOR EACH ROW EXECUTE FUNCTION tasks_status_guard();
      DROP FUNCTION tasks_refuse_transition(uuid, task_status, task_status);

      -- claim_task v3 (lease-takeover) and the loop of batch-claims.
      DROP FUNCTION claim_task(uuid, integer, text, integer, task_status[]);
      DROP FUNCTION claim_tasks(uuid[], integer[], text[], integer, task_status[]);
      CREATE FUNCTION claim_task(
        p_id uuid, p_attempt integer, p_token text, p_lease_seconds integer, p_claimable task_status[]
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
                AND (locked_by IS NULL OR locked_until < now()))
          )
        RETURNING *;
      END
      $$;
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
}

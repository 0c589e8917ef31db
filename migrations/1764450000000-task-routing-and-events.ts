import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Queue groups and results as events (documents/task-types.md, "Queue groups" and "Events").
 *
 * - `tasks.queue_group`: the group whose queues (`<group>.high|medium|low`) carry the task's
 *   messages; NULL for the default queues `tasks.*`. Set at create (and at a user's retry) from
 *   the registry, so the relay's lease sweeper and reconciler, which do not run handlers, send a
 *   task back to the queue it belongs to.
 * - `tasks.event_routing_key`: where the task's terminal event goes on the `tasks.events` topic
 *   exchange; NULL: the task emits none. Set at create from the registry (the type's `output`, or
 *   `task.<type>` with TASK_EVENTS=on).
 *
 * Why a trigger writes the event: a task reaches a terminal status through many statements
 * (the worker's outcome batches, the API's cancel, the relay's dispatch give-up, and whatever a
 * later change adds). A row trigger AFTER UPDATE OF status inserts the outbox row in the same
 * statement as the status, whichever statement wrote it, so an event exists exactly when its
 * terminal status does and no writer can forget it. The status machine's BEFORE trigger has
 * already refused any illegal change, and a terminal status is written once per run (a user's
 * retry goes back to NEW, and the next terminal status emits a new event).
 *
 * Cost: the WHEN clause is evaluated by Postgres without calling the function, so a task that
 * emits no event (event_routing_key NULL, the default) pays nothing; a task that does pays one
 * outbox insert in the statement that finishes it. Measured on the 2-core development machine
 * under a load average of 27: one UPDATE finishing 10,000 tasks took 1.10 s without events and
 * 2.48 s with them, so about 0.14 ms per event (the insert, its indexes, and the outbox's
 * NOTIFY trigger, which runs once per inserted statement, so once per event). A statement-level
 * trigger over transition tables wrote the same events in 1.55 s (0.03 ms each) but cannot be
 * limited to `UPDATE OF status` nor to tasks that emit (Postgres allows no column list and no
 * WHEN with transition tables): every update of `tasks` (claims, heartbeats, progress) would pay
 * it, 1.22 s against 1.10 s for the same 10,000 tasks without events. Events are off by default,
 * so the row trigger is kept. It is a trigger of its own, beside the counting and timeline
 * triggers, so a change to those leaves it alone.
 *
 * Event rows have kind `event`: the relay publishes them without `mandatory` (a topic exchange
 * with no queue bound to the key drops the event, as pub/sub does) and they never give up.
 */
export class TaskRoutingAndEvents1764450000000 implements MigrationInterface {
  name = 'TaskRoutingAndEvents1764450000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE tasks ADD COLUMN queue_group varchar(50), ADD COLUMN event_routing_key varchar(255);

      ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
      ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('dispatch', 'retry', 'dead-letter', 'control', 'redispatch', 'event'));

      -- Version 1 of the event (documents/task-types.md, "Events"). The message id is the event id.
      CREATE FUNCTION tasks_terminal_event() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        event_id uuid := gen_random_uuid();
        iso text := 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"';
      BEGIN
        INSERT INTO outbox (task_id, kind, message_id, exchange, routing_key, headers, body)
        VALUES (
          NEW.id, 'event', event_id, 'tasks.events', NEW.event_routing_key,
          jsonb_build_object('x-task-event-version', 1, 'x-task-type', NEW.type, 'x-task-status', NEW.status::text),
          jsonb_build_object(
            'version', 1,
            'eventId', event_id,
            'taskId', NEW.id,
            'type', NEW.type,
            'status', NEW.status::text,
            'result', CASE WHEN NEW.status = 'COMPLETED' THEN NEW.result END,
            'error', CASE WHEN NEW.status <> 'COMPLETED' THEN NEW.error END,
            'attempts', NEW.attempts,
            'maxAttempts', NEW.max_attempts,
            'priority', NEW.priority::text,
            'correlationId', NEW.correlation_id,
            'createdAt', to_char(NEW.created_at AT TIME ZONE 'UTC', iso),
            'startedAt', to_char(NEW.started_at AT TIME ZONE 'UTC', iso),
            'finishedAt', to_char(COALESCE(NEW.completed_at, now()) AT TIME ZONE 'UTC', iso)
          )
        );
        RETURN NULL;
      END $$;

      CREATE TRIGGER tasks_terminal_event AFTER UPDATE OF status ON tasks FOR EACH ROW
        WHEN (NEW.event_routing_key IS NOT NULL
              AND NEW.status IN ('COMPLETED', 'FAILED', 'CANCELLED')
              AND OLD.status IS DISTINCT FROM NEW.status)
        EXECUTE FUNCTION tasks_terminal_event();
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP TRIGGER tasks_terminal_event ON tasks;
      DROP FUNCTION tasks_terminal_event();
      DELETE FROM outbox WHERE kind = 'event';
      ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
      ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('dispatch', 'retry', 'dead-letter', 'control', 'redispatch'));
      ALTER TABLE tasks DROP COLUMN event_routing_key, DROP COLUMN queue_group;
    `);
  }
}

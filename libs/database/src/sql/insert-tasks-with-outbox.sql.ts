/**
 * Inserts tasks and their dispatch outbox rows in ONE statement, from one JSON array
 * parameter: one round trip for one task or a thousand, and atomic on its own (a statement
 * is its own transaction). Inside a caller's transaction it commits with the caller's data.
 *
 * The outbox insert selects from the tasks CTE, so an outbox row exists only for a task row
 * that this very statement wrote. The statement-level trigger on outbox sends the NOTIFY
 * that wakes the relay, delivered by Postgres at commit.
 */
export const INSERT_TASKS_WITH_OUTBOX = /* sql */ `
WITH input AS (
  SELECT *
  FROM jsonb_to_recordset($1::jsonb) AS x(
    id uuid, type text, title text, description text, priority task_priority, payload jsonb,
    max_attempts integer, run_at timestamptz, correlation_id text, queue_group text, event_routing_key text,
    message_id uuid, exchange text, routing_key text, headers jsonb, body jsonb
  )
), inserted AS (
  INSERT INTO tasks (id, type, title, description, priority, payload, max_attempts, run_at, correlation_id, queue_group, event_routing_key)
  SELECT id, type, title, description, priority, payload, max_attempts, run_at, correlation_id, queue_group, event_routing_key FROM input
  RETURNING *
), queued AS (
  INSERT INTO outbox (task_id, kind, message_id, exchange, routing_key, headers, body, available_at)
  SELECT i.id, 'dispatch', x.message_id, x.exchange, x.routing_key, x.headers, x.body, COALESCE(x.run_at, now())
  FROM inserted i JOIN input x ON x.id = i.id
)
SELECT * FROM inserted`;

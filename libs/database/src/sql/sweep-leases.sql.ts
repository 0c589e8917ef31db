/**
 * IN_PROGRESS tasks whose worker is gone: the lease ran out (the worker died and RabbitMQ did
 * not hand the message to anyone else, or it was paused), or a release by an earlier sweep was
 * never picked up ($2 seconds ago). SKIP LOCKED lets relays sweep side by side, and skips a
 * task a worker is claiming right now.
 */
export const FIND_EXPIRED_LEASES = /* sql */ `
SELECT id, type, priority, attempts, correlation_id, queue_group
FROM tasks
WHERE status = 'IN_PROGRESS'
  AND ((locked_by IS NOT NULL AND locked_until < now())
       OR (locked_by IS NULL AND updated_at < now() - make_interval(secs => $2)))
ORDER BY locked_until NULLS FIRST
LIMIT $1
FOR UPDATE SKIP LOCKED`;

/**
 * Releases the tasks (`locked_by = NULL`: the old holder's fenced writes now match nothing)
 * and queues one message each that a worker can claim as a take-over, in one statement.
 * $1 is a JSON array of {id, message_id, exchange, routing_key, headers, body}.
 */
export const RELEASE_AND_REDISPATCH = /* sql */ `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb)
    AS x(id uuid, message_id uuid, exchange text, routing_key text, headers jsonb, body jsonb)
), released AS (
  UPDATE tasks t SET locked_by = NULL, locked_until = NULL, updated_at = now()
  FROM input WHERE t.id = input.id AND t.status = 'IN_PROGRESS'
  RETURNING t.id
)
INSERT INTO outbox (task_id, kind, message_id, exchange, routing_key, headers, body)
SELECT i.id, 'redispatch', i.message_id, i.exchange, i.routing_key, i.headers, i.body
FROM input i JOIN released r ON r.id = i.id
RETURNING task_id`;

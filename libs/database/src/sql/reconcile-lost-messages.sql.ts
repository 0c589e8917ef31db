/**
 * When the current message of a PENDING or RETRYING task entered its priority queue: the
 * relay's publish (or the reconciler's re-dispatch) for a PENDING task; for a RETRYING task not
 * before `next_retry_at`, when its retry message leaves the delay queue. Rows from before
 * `dispatched_at` existed fall back to `updated_at`. The same expression as tasks_queued_idx.
 */
const QUEUED_AT = (t: string) =>
  `(CASE WHEN ${t}.status = 'RETRYING' THEN GREATEST(${t}.dispatched_at, ${t}.next_retry_at) ELSE COALESCE(${t}.dispatched_at, ${t}.updated_at) END)`;

/**
 * The tasks of priority $1 in queue group $6 (NULL: the default queues `tasks.*`) whose message
 * cannot be in their queue any more, oldest first, at most $5, locked for the re-dispatch.
 *
 * One walk per work queue: a group's queue holds only its own tasks, so the walk skips only
 * tasks of that group and priority (the group is a filter on the same index as before).
 *
 * A priority queue is FIFO, so the $2 messages it holds (the ready ones the broker reported,
 * plus what its consumers hold while it has a backlog) are the newest ones published to it.
 * Walking the queued tasks of that priority newest message first and skipping $2 of them leaves
 * the tasks whose message would be older than anything the queue holds: their message is gone
 * (a purge, a broker that lost it, a retry dropped from its delay queue).
 * Of those, only the ones whose message is older than $4 seconds are returned, so a task that
 * a worker has just taken (delivered but not yet claimed) is not sent again at once.
 *
 * $3 is the database clock read just before the broker was asked: a task published after it
 * may already be counted in $2 or not, so it is left out of the walk. Leaving a message out
 * or counting one extra (a duplicate, a message of a cancelled task) only makes the walk skip
 * more, never re-dispatch a task whose message is there. Under a backlog of 20,000 the queue
 * holds them all and nothing is returned; after a purge $2 is 0 and every stale task is.
 *
 * Concurrency: FOR UPDATE OF t SKIP LOCKED lets relays reconcile side by side, each taking
 * tasks no other holds, and skips a task a worker is claiming right now (claim_task locks the
 * row first). After the lock the conditions on t are checked again on the latest row, so a
 * task claimed, cancelled or re-dispatched by another relay in the meantime is left alone.
 */
export const FIND_UNQUEUED_TASKS = /* sql */ `
WITH queued AS (
  SELECT q.id, ${QUEUED_AT('q')} AS queued_at
  FROM tasks q
  WHERE q.status IN ('PENDING', 'RETRYING') AND q.priority = $1 AND ${QUEUED_AT('q')} <= $3
    AND q.queue_group IS NOT DISTINCT FROM $6::text
  ORDER BY ${QUEUED_AT('q')} DESC, q.id DESC
  OFFSET $2
)
SELECT t.id, t.type, t.priority, t.attempts, t.correlation_id, t.queue_group
FROM tasks t JOIN queued ON queued.id = t.id
WHERE queued.queued_at < now() - make_interval(secs => $4)
  AND t.status IN ('PENDING', 'RETRYING')
  AND ${QUEUED_AT('t')} < now() - make_interval(secs => $4)
ORDER BY queued.queued_at, t.id
LIMIT $5
FOR UPDATE OF t SKIP LOCKED`;

/**
 * Dispatches the locked tasks again, in one statement: moves `dispatched_at` on (so the task
 * is not re-dispatched again within the bound), writes a timeline entry that says why, and
 * queues a message the worker's claim accepts as the task's next attempt. The status is not
 * touched. $1 is a JSON array of {id, message_id, exchange, routing_key, headers, body, detail}.
 * Run it in the transaction that holds the locks of FIND_UNQUEUED_TASKS.
 */
export const REDISPATCH_UNQUEUED_TASKS = /* sql */ `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb)
    AS x(id uuid, message_id uuid, exchange text, routing_key text, headers jsonb, body jsonb, detail text)
), moved AS (
  UPDATE tasks t SET dispatched_at = now()
  FROM input WHERE t.id = input.id AND t.status IN ('PENDING', 'RETRYING')
  RETURNING t.id, t.status, t.attempts
), timeline AS (
  INSERT INTO task_events (task_id, status, attempt, detail)
  SELECT m.id, m.status, m.attempts, i.detail FROM moved m JOIN input i ON i.id = m.id
)
INSERT INTO outbox (task_id, kind, message_id, exchange, routing_key, headers, body)
SELECT i.id, 'redispatch', i.message_id, i.exchange, i.routing_key, i.headers, i.body
FROM input i JOIN moved m ON m.id = i.id
RETURNING task_id`;

/** The database's clock, read before the broker is asked how many messages a queue holds. */
export const DATABASE_CLOCK = /* sql */ `SELECT clock_timestamp() AS now`;

/**
 * Claims up to $1 due outbox rows for this relay's transaction, and in the same statement locks
 * the tasks of its dispatch rows: `dispatchable` is true for those whose task is still NEW.
 *
 * FOR UPDATE SKIP LOCKED: relays running side by side each take rows no other relay holds,
 * without waiting; a row stays locked until the claiming transaction commits the outcome of
 * its publish, so in the normal case no row is published twice. A relay that dies mid-batch
 * releases its locks with its connection, and the rows are claimed again (at-least-once).
 *
 * The task locks: a worker that receives a message before the relay commits blocks on the row
 * lock in its claim, then sees PENDING once the relay commits. A task cancelled meanwhile is
 * not dispatchable, and its message is not sent. Tasks are locked in id order, one order across
 * relays. The locked ids are folded into one array by a sub-select that runs once, to the end,
 * before any row is returned: every NEW task of the batch is locked, whatever plan is chosen.
 * The tasks are locked by primary key and their status read after the lock (a row that changed
 * while we waited is read as it is now), not filtered by status: with statistics that expect
 * few NEW tasks (a burst after a quiet hour, a freshly filled table) the planner reached them
 * through the status index and scanned every NEW task for each batch.
 *
 * The partial index outbox_due_idx holds only unpublished rows, in this order.
 *
 * The columns come out named as the relay reads them, and the body as the JSON text it
 * publishes (with its correlation id beside it): no object per row to rename, and no parse
 * of the body only to serialise it again.
 */
export const CLAIM_OUTBOX_BATCH = /* sql */ `
WITH claimed AS MATERIALIZED (
  SELECT id, task_id, kind, message_id, exchange, routing_key, headers, body, attempts, available_at
  FROM outbox
  WHERE published_at IS NULL AND failed_at IS NULL AND available_at <= now()
  ORDER BY available_at, id
  LIMIT $1
  FOR UPDATE SKIP LOCKED
), locked AS MATERIALIZED (
  SELECT t.id, t.status
  FROM claimed c JOIN tasks t ON t.id = c.task_id
  WHERE c.kind = 'dispatch'
  ORDER BY t.id
  FOR UPDATE OF t
)
SELECT id, task_id AS "taskId", kind, message_id AS "messageId", exchange, routing_key AS "routingKey", headers,
       body::text AS body, coalesce(body->>'correlationId', '') AS "correlationId", attempts,
       kind = 'dispatch' AND task_id = ANY(ARRAY(SELECT id FROM locked WHERE status = 'NEW')) AS dispatchable
FROM claimed
ORDER BY available_at, id`;

/**
 * Claims up to $1 due outbox rows for this relay's transaction.
 *
 * FOR UPDATE SKIP LOCKED: relays running side by side each take rows no other relay holds,
 * without waiting; a row stays locked until the claiming transaction commits the outcome of
 * its publish, so in the normal case no row is published twice. A relay that dies mid-batch
 * releases its locks with its connection, and the rows are claimed again (at-least-once).
 *
 * The partial index outbox_due_idx holds only unpublished rows, in this order.
 */
export const CLAIM_OUTBOX_BATCH = /* sql */ `
SELECT id, task_id, kind, message_id, exchange, routing_key, headers, body, attempts
FROM outbox
WHERE published_at IS NULL AND failed_at IS NULL AND available_at <= now()
ORDER BY available_at, id
LIMIT $1
FOR UPDATE SKIP LOCKED`;

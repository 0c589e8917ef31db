/**
 * The next batch of a replay by filter (a type, a reason, failed since a time, or all), inside
 * its transaction: FAILED tasks that match, oldest failure first, locked for the requeue that
 * follows in the same transaction.
 *
 * `FOR UPDATE OF t SKIP LOCKED`: a task a user is retrying or cancelling right now, or that a
 * replay running beside this one holds, is skipped rather than waited for: the other writer
 * decides its fate, and each task is requeued at most once. `$4`, the time the replay began
 * (NULL on its first batch, which returns the transaction's time as `as_of` for the others),
 * keeps a task that fails again while the replay goes on from being replayed a second time by
 * the same request, so a replay always ends.
 *
 * $1 types, $2 reasons, $3 failed at or after, $4 failed at or before, $5 batch size.
 */
export const CLAIM_DEAD_LETTERS_FOR_REPLAY = /* sql */ `
SELECT t.id, t.type, t.priority, t.status, t.correlation_id, transaction_timestamp() AS as_of
FROM dead_letters d
JOIN tasks t ON t.id = d.task_id
WHERE ($1::text[] IS NULL OR d.type = ANY($1::text[]))
  AND ($2::text[] IS NULL OR d.reason = ANY($2::text[]))
  AND ($3::timestamptz IS NULL OR d.failed_at >= $3::timestamptz)
  AND ($4::timestamptz IS NULL OR d.failed_at <= $4::timestamptz)
ORDER BY d.failed_at, d.task_id
LIMIT $5
FOR UPDATE OF t SKIP LOCKED`;

/**
 * A worker's claim of task $1 for the delivery of attempt $2, with claim token $3 and a lease
 * of $4 seconds. Returns the task only when this delivery is the one the task waits for:
 *
 * - PENDING or RETRYING ($5, from the status machine) with attempts = $2 - 1: the dispatch or
 *   retry message of the next attempt;
 * - IN_PROGRESS with attempts = $2, when the message is a redelivery ($6) or the holder's lease
 *   ran out: the worker that held it died or lost its channel, and this one takes over.
 *
 * Anything else (a duplicate, a late message, a cancelled or finished task) matches no row,
 * and the worker acknowledges the message without running the handler. Every later write of
 * this attempt is fenced by the token, so a worker that was paused past its lease cannot
 * overwrite what the one that took over wrote.
 */
export const CLAIM_TASK = `
UPDATE tasks
SET status = 'IN_PROGRESS', attempts = $2, locked_by = $3,
    locked_until = now() + make_interval(secs => $4),
    started_at = now(), next_retry_at = NULL, updated_at = now()
WHERE id = $1
  AND (
    (status = ANY($5::task_status[]) AND attempts = $2 - 1)
    OR (status = 'IN_PROGRESS' AND attempts = $2 AND ($6::boolean OR locked_until < now()))
  )
RETURNING *`;

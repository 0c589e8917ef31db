/**
 * The worker's heartbeat: renews, in one statement, the lease of every attempt it runs. $1 and
 * $2 are parallel arrays of task ids and claim tokens, $3 the lease in seconds.
 *
 * A row comes back only for an attempt this worker still holds (status IN_PROGRESS and the
 * token unchanged); an attempt missing from the answer was taken over or released, and its
 * handler must stop. `cancel_requested` carries a cancel request to the worker even when the
 * control message was lost. Safe beside a take-over: the claim locks the row and changes
 * `locked_by`, so a renewal either runs before it (and the take-over then sees a live lease and
 * does not happen) or after it (and matches nothing). `updated_at` is left alone: a renewal is
 * not a change a user sees, and no timeline row is written (the trigger watches status,
 * attempts and locked_by only). A row matches the token of one worker only, so two workers'
 * heartbeats never renew the same row.
 */
export const RENEW_LEASES = /* sql */ `
UPDATE tasks t
SET locked_until = now() + make_interval(secs => $3)
FROM unnest($1::uuid[], $2::text[]) AS held(id, token)
WHERE t.id = held.id AND t.status = 'IN_PROGRESS' AND t.locked_by = held.token
RETURNING t.id, t.locked_by AS token, t.cancel_requested_at IS NOT NULL AS cancel_requested`;

/**
 * Ends the lease of a running attempt at once, without finishing it: the worker is shutting down
 * past its deadline and hands the message back. The lease is marked expired (`locked_until` in
 * the past) so the redelivered copy may take the task over straight away instead of being
 * skipped until the lease would have run out. `locked_by` stays, so the take-over is recorded as
 * one. Fenced by the claim token $2: an attempt already taken over is left alone.
 */
export const RELEASE_LEASE = /* sql */ `
UPDATE tasks SET locked_until = now() - interval '1 second'
WHERE id = $1 AND status = 'IN_PROGRESS' AND locked_by = $2`;

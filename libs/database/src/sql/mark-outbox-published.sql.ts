/** Marks the rows whose publish the broker confirmed ($1), or that had nothing left to send. */
export const MARK_OUTBOX_PUBLISHED = /* sql */ `
UPDATE outbox SET published_at = now(), last_error = $2
WHERE id = ANY($1::bigint[])`;

/**
 * NEW → PENDING for the tasks whose dispatch was confirmed; guarded by the status machine.
 * `dispatched_at` takes the clock after the broker's confirm (not the transaction's start), so
 * the reconciler never counts a message as queued before it was: see reconcile-lost-messages.
 */
export const MARK_TASKS_PENDING = /* sql */ `
UPDATE tasks SET status = 'PENDING', updated_at = now(), dispatched_at = clock_timestamp()
WHERE id = ANY($1::uuid[]) AND status = ANY($2::task_status[])`;

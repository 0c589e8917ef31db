/**
 * The first step of a replay by ids, inside its transaction: locks the named tasks (any status)
 * so the caller can refuse the whole request when one does not exist, and requeue the FAILED
 * ones with nothing changing under it. Rows are locked in id order, so two replays naming the
 * same tasks in another order wait for each other instead of deadlocking.
 *
 * $1 task ids.
 */
export const LOCK_TASKS_FOR_REPLAY = /* sql */ `
SELECT id, type, priority, status, correlation_id
FROM tasks
WHERE id = ANY($1::uuid[])
ORDER BY id
FOR UPDATE`;

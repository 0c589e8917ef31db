/** One task that failed for good, with its reason; no row when the task is not FAILED (or does not exist). */
export const FIND_DEAD_LETTER = /* sql */ `
SELECT t.*, d.reason, d.failed_at
FROM dead_letters d
JOIN tasks t ON t.id = d.task_id
WHERE d.task_id = $1`;

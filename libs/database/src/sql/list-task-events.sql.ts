/** A task's timeline, oldest first (task_events_task_idx). */
export const LIST_TASK_EVENTS = /* sql */ `
SELECT at, status, attempt, worker, error, detail FROM task_events WHERE task_id = $1 ORDER BY id`;

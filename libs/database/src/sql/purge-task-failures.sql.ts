/**
 * Forgets the recorded reasons of tasks that are no longer FAILED (retried or replayed since):
 * part of purging the DLQ, after its copies in `tasks.dlq` are gone. A reason of a FAILED task
 * stays, since it still describes the task. Deletes by primary key from a small table; a task
 * that fails again meanwhile writes its reason anew (its dead-letter copy's trigger).
 */
export const PURGE_TASK_FAILURES = /* sql */ `
DELETE FROM task_failures f
WHERE NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = f.task_id AND t.status = 'FAILED')`;

/**
 * Tasks by status and priority, without counting the tasks table: the folded counts plus the
 * deltas not folded yet (see the migration retention-and-task-counts and
 * fold-task-counts.sql.ts). One statement, one snapshot: a fold that commits meanwhile is seen
 * entirely or not at all, so the sum is exactly `count(*)` as of that snapshot. Its cost is the
 * size of task_count_deltas (a few thousand rows between two folds), whatever the size of
 * tasks.
 */
export const COUNT_TASKS_BY_STATUS_AND_PRIORITY = /* sql */ `
SELECT status, priority, sum(n)::int AS count
FROM (
  SELECT status, priority, n FROM task_counts
  UNION ALL
  SELECT status, priority, delta FROM task_count_deltas
) c
GROUP BY status, priority
HAVING sum(n) <> 0`;

/**
 * Rows the relay still has to publish, and how long the oldest has waited (due rows only).
 * Reads only the partial index outbox_due_idx, which holds just the unpublished rows: its cost
 * is the backlog, not the table.
 */
export const OUTBOX_BACKLOG = /* sql */ `
SELECT count(*)::int AS count,
       COALESCE(EXTRACT(EPOCH FROM now() - min(available_at)), 0)::float8 AS oldest_seconds
FROM outbox
WHERE published_at IS NULL AND failed_at IS NULL AND available_at <= now()`;

/**
 * Per priority, how long the oldest PENDING task has waited since it was published (its last
 * update): the age of the oldest message of that queue, which AMQP itself does not report.
 * One probe of tasks_pending_age_idx (priority, updated_at WHERE PENDING) per priority, so a
 * queue of a million waiting tasks costs what an empty one does.
 */
export const OLDEST_PENDING_BY_PRIORITY = /* sql */ `
SELECT p.priority, EXTRACT(EPOCH FROM now() - o.oldest)::float8 AS oldest_seconds
FROM unnest(enum_range(NULL::task_priority)) AS p(priority)
CROSS JOIN LATERAL (
  SELECT min(updated_at) AS oldest FROM tasks WHERE status = 'PENDING' AND priority = p.priority
) o
WHERE o.oldest IS NOT NULL`;

/** Tasks by status and priority. A full count: meant for dashboards, not for a hot loop. */
export const COUNT_TASKS_BY_STATUS_AND_PRIORITY = /* sql */ `
SELECT status, priority, count(*)::int AS count FROM tasks GROUP BY status, priority`;

/** Rows the relay still has to publish, and how long the oldest has waited (due rows only). */
export const OUTBOX_BACKLOG = /* sql */ `
SELECT count(*)::int AS count,
       COALESCE(EXTRACT(EPOCH FROM now() - min(available_at)), 0)::float8 AS oldest_seconds
FROM outbox
WHERE published_at IS NULL AND failed_at IS NULL AND available_at <= now()`;

/**
 * Per priority, how long the oldest PENDING task has waited since it was published (its last
 * update): the age of the oldest message of that queue, which AMQP itself does not report.
 */
export const OLDEST_PENDING_BY_PRIORITY = /* sql */ `
SELECT priority, EXTRACT(EPOCH FROM now() - min(updated_at))::float8 AS oldest_seconds
FROM tasks WHERE status = 'PENDING' GROUP BY priority`;

import { OLDEST_PENDING_BY_PRIORITY, OUTBOX_BACKLOG } from './task-stats.sql.js';

/**
 * The relay's scrape-time gauges in one statement: the outbox backlog (due rows not published
 * yet) and its oldest age, and per priority the age of the oldest PENDING task, the age of the
 * oldest message in that queue. Both parts read only partial indexes (outbox_due_idx,
 * tasks_pending_age_idx), so a scrape costs the same with a backlog of a million as with none;
 * see {@link OUTBOX_BACKLOG} and {@link OLDEST_PENDING_BY_PRIORITY}.
 */
export const BACKLOG_GAUGES = /* sql */ `
SELECT o.count, o.oldest_seconds,
       (SELECT COALESCE(json_object_agg(p.priority, p.oldest_seconds), '{}'::json) FROM (${OLDEST_PENDING_BY_PRIORITY}) p) AS oldest_pending
FROM (${OUTBOX_BACKLOG}) o`;

/**
 * Bounds the next statements of the transaction ($1 milliseconds, as text): a scrape that finds
 * Postgres slow gives up there instead of holding a connection. `is_local` makes it SET LOCAL.
 */
export const LOCAL_STATEMENT_TIMEOUT = /* sql */ `SELECT set_config('statement_timeout', $1, true)`;

/**
 * One page of what failed for good, most recent failure first, with the reason of each
 * (the view `dead_letters`). Every filter is a parameter (NULL: not filtered), so no request
 * input becomes SQL text.
 *
 * Keyset pagination on (failed_at, id), as `GET /tasks` does on (created_at, id): the cursor is
 * the last row's pair, and the next page is everything strictly after it. A task that fails
 * meanwhile is newer and sorts before the cursor; one retried meanwhile leaves the list; pages
 * neither repeat nor skip the rest. `failed_at::text` keeps the microseconds a JavaScript Date
 * would drop. Served by tasks_failed_idx (FAILED tasks only, by completed_at).
 *
 * $1 types, $2 reasons, $3 failed at or after, $4 cursor failed_at, $5 cursor id, $6 limit.
 */
export const LIST_DEAD_LETTERS = /* sql */ `
SELECT t.*, d.reason, d.failed_at, d.failed_at::text AS cursor_failed_at
FROM dead_letters d
JOIN tasks t ON t.id = d.task_id
WHERE ($1::text[] IS NULL OR d.type = ANY($1::text[]))
  AND ($2::text[] IS NULL OR d.reason = ANY($2::text[]))
  AND ($3::timestamptz IS NULL OR d.failed_at >= $3::timestamptz)
  AND ($4::timestamptz IS NULL OR (d.failed_at, d.task_id) < ($4::timestamptz, $5::uuid))
ORDER BY d.failed_at DESC, d.task_id DESC
LIMIT $6`;

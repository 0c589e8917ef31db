/**
 * One page of tasks, newest first, with optional filters. Every filter is a parameter (NULL:
 * not filtered), so no request input ever becomes SQL text.
 *
 * Keyset pagination on (created_at, id): the cursor is the last row's pair, and the next page
 * is everything strictly after it in this order. Rows inserted meanwhile are newer and sort
 * before the cursor, so pages neither repeat nor skip a row. `created_at::text` keeps the
 * microseconds that a JavaScript Date would drop. Served by tasks_list_idx, or by
 * tasks_status_list_idx or tasks_type_list_idx when a filter makes the planner prefer them (a
 * filter combination that few rows match reads the index entries of its filters, not the table);
 * FAILED or CANCELLED tasks of a type by tasks_failed_type_list_idx. The statistics object
 * tasks_status_type_stats tells the planner which statuses and types go together.
 *
 * $1 statuses, $2 priorities, $3 types, $4 cursor created_at, $5 cursor id, $6 limit.
 */
export const LIST_TASKS = /* sql */ `
SELECT *, created_at::text AS cursor_created_at
FROM tasks
WHERE ($1::task_status[] IS NULL OR status = ANY($1::task_status[]))
  AND ($2::task_priority[] IS NULL OR priority = ANY($2::task_priority[]))
  AND ($3::text[] IS NULL OR type = ANY($3::text[]))
  AND ($4::timestamptz IS NULL OR (created_at, id) < ($4::timestamptz, $5::uuid))
ORDER BY created_at DESC, id DESC
LIMIT $6`;

export const FIND_TASKS_BY_IDS = /* sql */ `SELECT * FROM tasks WHERE id = ANY($1::uuid[])`;

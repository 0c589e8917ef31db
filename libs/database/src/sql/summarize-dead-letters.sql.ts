/**
 * What failed for good, grouped by type and reason, with counts and the oldest and newest
 * failure of each group. Reads the view `dead_letters` (FAILED tasks and why; migration
 * 1764460000000), so the rule for a reason is stated once, in the database. A plain read: it
 * takes no lock, and a task retried meanwhile simply leaves the counts.
 *
 * $1 types, $2 reasons, $3 failed at or after (each NULL: not filtered).
 */
export const SUMMARIZE_DEAD_LETTERS = /* sql */ `
SELECT type, reason, count(*)::int AS count, min(failed_at) AS oldest_failed_at, max(failed_at) AS newest_failed_at
FROM dead_letters
WHERE ($1::text[] IS NULL OR type = ANY($1::text[]))
  AND ($2::text[] IS NULL OR reason = ANY($2::text[]))
  AND ($3::timestamptz IS NULL OR failed_at >= $3::timestamptz)
GROUP BY type, reason
ORDER BY count(*) DESC, type, reason`;

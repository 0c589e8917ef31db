/**
 * Folds up to $1 rows of task_count_deltas (what the count triggers on tasks appended) into
 * task_counts, in one statement: the deltas it deletes and the counts it adds commit together,
 * so a stats read (one snapshot) sees each delta exactly once, on one side or the other.
 *
 * The transaction-scoped advisory lock lets one relay fold at a time; another relay's fold
 * deletes nothing and returns 0 instead of waiting for the same rows and the same count rows.
 * Writers are never held up: they only append to task_count_deltas, and nothing locks that
 * table's rows but a fold. $1 bounds a fold's size so a backlog (a relay that was down for a
 * day) is worked off in short statements.
 */
export const FOLD_TASK_COUNTS = /* sql */ `
WITH lock AS (
  SELECT pg_try_advisory_xact_lock(hashtext('task_counts_fold')) AS held
), moved AS (
  DELETE FROM task_count_deltas
  WHERE ctid = ANY(ARRAY(SELECT ctid FROM task_count_deltas LIMIT $1))
    AND (SELECT held FROM lock)
  RETURNING status, priority, delta
), folded AS (
  INSERT INTO task_counts (status, priority, n)
  SELECT status, priority, sum(delta) FROM moved GROUP BY status, priority ORDER BY status, priority
  ON CONFLICT (status, priority) DO UPDATE SET n = task_counts.n + EXCLUDED.n
)
SELECT count(*)::int AS folded FROM moved`;

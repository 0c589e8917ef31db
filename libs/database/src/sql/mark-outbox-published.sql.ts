/**
 * Records a batch's outcome in one statement: the rows whose publish the broker confirmed ($1),
 * the rows that had nothing left to send ($2, with the note $3), and NEW → PENDING for the tasks
 * whose dispatch was confirmed ($4), guarded by the status machine's sources ($5).
 * `dispatched_at` takes the clock after the broker's confirm (not the transaction's start), so
 * the reconciler never counts a message as queued before it was: see reconcile-lost-messages.
 * Data-modifying WITH clauses always run to completion, whether or not the outer statement
 * reads them. Rows are found by primary key from the id lists (unnest); the status guard is
 * written as array_position so that no index can serve it: as `status = ANY(...)`, statistics
 * that expect few NEW tasks made the planner scan every NEW task through the status index.
 */
export const RECORD_OUTBOX_OUTCOME = /* sql */ `
WITH sent AS (
  UPDATE outbox o SET published_at = now(), last_error = NULL
  FROM unnest($1::bigint[]) AS p(id)
  WHERE o.id = p.id
), unsent AS (
  UPDATE outbox o SET published_at = now(), last_error = $3
  FROM unnest($2::bigint[]) AS p(id)
  WHERE o.id = p.id
)
UPDATE tasks t SET status = 'PENDING', updated_at = now(), dispatched_at = clock_timestamp()
FROM unnest($4::uuid[]) AS p(id)
WHERE t.id = p.id AND array_position($5::task_status[], t.status) IS NOT NULL`;

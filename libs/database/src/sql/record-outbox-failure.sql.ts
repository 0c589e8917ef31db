/**
 * Counts a failed publish of row $1 and puts it off by $3 seconds. When the attempts reach
 * $4 on a dispatch row, the row is failed and, in the same statement, its task goes to
 * FAILED (guarded by the status machine's sources $5) with a readable error.
 * Rows of other kinds (retries, dead-letter copies) never give up: their task already left NEW.
 */
export const RECORD_OUTBOX_FAILURE = /* sql */ `
WITH row AS (
  UPDATE outbox
  SET attempts = attempts + 1,
      last_error = $2,
      available_at = now() + make_interval(secs => $3),
      failed_at = CASE WHEN kind = 'dispatch' AND attempts + 1 >= $4 THEN now() END
  WHERE id = $1
  RETURNING task_id, failed_at, attempts
)
UPDATE tasks t
SET status = 'FAILED',
    error = 'dispatch gave up after ' || row.attempts || ' attempts: ' || $2,
    completed_at = now(), updated_at = now()
FROM row
WHERE row.failed_at IS NOT NULL AND t.id = row.task_id AND t.status = ANY($5::task_status[])
RETURNING t.id`;

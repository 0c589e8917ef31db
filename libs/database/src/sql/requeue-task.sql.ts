/**
 * A user's retry: FAILED or CANCELLED ($2) back to NEW with its attempts starting again, and a
 * new dispatch row in the outbox, in one statement. Old messages of the task that are still
 * in a queue carry attempt numbers the task no longer waits for and are skipped. $8 and $9 are
 * the type's queue group and event routing key as the registry has them now.
 */
export const REQUEUE_TASK = /* sql */ `
WITH t AS (
  UPDATE tasks
  SET status = 'NEW', attempts = 0, error = NULL, result = NULL, progress = NULL, next_retry_at = NULL,
      started_at = NULL, completed_at = NULL, cancel_requested_at = NULL, locked_by = NULL, locked_until = NULL,
      run_at = NULL, updated_at = now(), queue_group = $8, event_routing_key = $9
  WHERE id = $1 AND status = ANY($2::task_status[])
  RETURNING *
), queued AS (
  INSERT INTO outbox (task_id, kind, message_id, exchange, routing_key, headers, body)
  SELECT t.id, 'dispatch', $3::uuid, $4, $5, $6::jsonb, $7::jsonb FROM t
)
SELECT * FROM t`;

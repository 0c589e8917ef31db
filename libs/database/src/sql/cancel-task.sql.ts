/**
 * Cancels a task that no handler is running (NEW, PENDING or RETRYING: $2, from the status
 * machine). Its message, if already in a queue, finds CANCELLED when it arrives and is skipped.
 */
export const CANCEL_QUEUED_TASK = /* sql */ `
UPDATE tasks
SET status = 'CANCELLED', error = 'cancelled before it ran', next_retry_at = NULL,
    completed_at = now(), updated_at = now()
WHERE id = $1 AND status = ANY($2::task_status[])
RETURNING *`;

/**
 * Asks the worker running task $1 to stop: records the request and, in the same statement,
 * puts the control message (broadcast to every worker) into the outbox.
 */
export const REQUEST_CANCEL_OF_RUNNING_TASK = /* sql */ `
WITH t AS (
  UPDATE tasks SET cancel_requested_at = COALESCE(cancel_requested_at, now()), updated_at = now()
  WHERE id = $1 AND status = 'IN_PROGRESS'
  RETURNING *
), queued AS (
  INSERT INTO outbox (task_id, kind, message_id, exchange, routing_key, headers, body)
  SELECT t.id, 'control', $2::uuid, $3, $4, $5::jsonb, $6::jsonb FROM t
)
SELECT * FROM t`;

/** IN_PROGRESS → CANCELLED by the worker whose handler stopped, fenced by its claim token. */
export const FINISH_CANCELLED_TASK = /* sql */ `
UPDATE tasks
SET status = 'CANCELLED', error = 'cancelled while running', completed_at = now(), updated_at = now(),
    locked_by = NULL, locked_until = NULL
WHERE id = $1 AND status = 'IN_PROGRESS' AND locked_by = $2
RETURNING *`;

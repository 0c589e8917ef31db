/*
 * The finishing writes of a running attempt. Each is one statement fenced by the claim token $2
 * (status IN_PROGRESS and `locked_by = $2`), so an attempt that was taken over writes nothing.
 * Each honours a cancel request recorded while the handler ran (`cancel_requested_at`): the task
 * then ends CANCELLED instead, in the same statement, and no retry or dead-letter message is
 * queued. The cancel request and the finish both lock the row, so they are ordered: a request
 * that commits first turns the finish into CANCELLED; one that comes after finds the task
 * finished (the API answers 409). Each returns the status it wrote.
 */

const CANCELLED_WHILE_RUNNING = `'cancelled while running'`;

/** IN_PROGRESS → COMPLETED with the result $3 (or CANCELLED when a cancel was requested). */
export const COMPLETE_TASK = /* sql */ `
UPDATE tasks
SET status = CASE WHEN cancel_requested_at IS NULL THEN 'COMPLETED' ELSE 'CANCELLED' END::task_status,
    result = CASE WHEN cancel_requested_at IS NULL THEN $3::jsonb END,
    error = CASE WHEN cancel_requested_at IS NULL THEN NULL
                 ELSE 'cancelled while running; the handler had already finished, so what it did stands' END,
    progress = CASE WHEN cancel_requested_at IS NULL THEN 100 ELSE progress END,
    completed_at = now(), updated_at = now(), locked_by = NULL, locked_until = NULL
WHERE id = $1 AND status = 'IN_PROGRESS' AND locked_by = $2
RETURNING status`;

/**
 * IN_PROGRESS → RETRYING and the retry message into the outbox, in one statement: the message
 * exists exactly when RETRYING was written (not when a cancel request made it CANCELLED).
 */
export const RETRY_TASK = /* sql */ `
WITH t AS (
  UPDATE tasks
  SET status = CASE WHEN cancel_requested_at IS NULL THEN 'RETRYING' ELSE 'CANCELLED' END::task_status,
      error = CASE WHEN cancel_requested_at IS NULL THEN $3 ELSE ${CANCELLED_WHILE_RUNNING} END,
      next_retry_at = CASE WHEN cancel_requested_at IS NULL THEN now() + make_interval(secs => $4) END,
      completed_at = CASE WHEN cancel_requested_at IS NULL THEN completed_at ELSE now() END,
      updated_at = now(), locked_by = NULL, locked_until = NULL
  WHERE id = $1 AND status = 'IN_PROGRESS' AND locked_by = $2
  RETURNING id, status
), queued AS (
  INSERT INTO outbox (task_id, kind, message_id, exchange, routing_key, headers, body)
  SELECT t.id, 'retry', $5::uuid, $6, $7, $8::jsonb, $9::jsonb FROM t WHERE t.status = 'RETRYING'
)
SELECT status FROM t`;

/**
 * IN_PROGRESS → FAILED for good and its copy for tasks.dlq into the outbox, in one statement
 * (CANCELLED, without the copy, when a cancel was requested).
 */
export const FAIL_TASK = /* sql */ `
WITH t AS (
  UPDATE tasks
  SET status = CASE WHEN cancel_requested_at IS NULL THEN 'FAILED' ELSE 'CANCELLED' END::task_status,
      error = CASE WHEN cancel_requested_at IS NULL THEN $3 ELSE ${CANCELLED_WHILE_RUNNING} END,
      next_retry_at = NULL, completed_at = now(), updated_at = now(),
      attempts = LEAST(attempts, max_attempts),
      locked_by = NULL, locked_until = NULL
  WHERE id = $1 AND status = 'IN_PROGRESS' AND locked_by = $2
  RETURNING id, status
), queued AS (
  INSERT INTO outbox (task_id, kind, message_id, exchange, routing_key, headers, body)
  SELECT t.id, 'dead-letter', $4::uuid, $5, $6, $7::jsonb, $8::jsonb FROM t WHERE t.status = 'FAILED'
)
SELECT status FROM t`;

/** Progress of the running attempt, fenced by its claim token. */
export const REPORT_PROGRESS = /* sql */ `
UPDATE tasks SET progress = $3, updated_at = now()
WHERE id = $1 AND status = 'IN_PROGRESS' AND locked_by = $2`;

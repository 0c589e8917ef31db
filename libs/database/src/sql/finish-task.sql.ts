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

/**
 * The finishing writes of several attempts in one statement and one commit, each row exactly
 * as its own statement above would write it. Parallel arrays, one element per attempt: $1 task
 * ids, $2 claim tokens, $3 actions ('complete', 'retry', 'fail' or 'cancel'), $4 results (for
 * 'complete'), $5 errors (for 'retry' and 'fail'), $6 retry delays in seconds (for 'retry'),
 * and the outbox columns of the retry message or dead-letter copy: $7 message ids, $8
 * exchanges, $9 routing keys, $10 headers, $11 bodies.
 *
 * Each row is fenced by its own token and honours its own cancel request; a row fenced out
 * only leaves its token out of the answer. The outbox row of a retry or a failure is written
 * exactly when RETRYING or FAILED was. Returns the token and the status written of each row.
 */
export const FINISH_TASKS = /* sql */ `
WITH input AS (
  SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[],
                       $7::uuid[], $8::text[], $9::text[], $10::text[], $11::text[])
    AS i(id, token, action, result, error, delay_seconds, message_id, exchange, routing_key, headers, body)
), t AS (
  UPDATE tasks
  SET status = CASE
        WHEN i.action = 'cancel' OR tasks.cancel_requested_at IS NOT NULL THEN 'CANCELLED'
        WHEN i.action = 'complete' THEN 'COMPLETED'
        WHEN i.action = 'retry' THEN 'RETRYING'
        ELSE 'FAILED'
      END::task_status,
      result = CASE
        WHEN i.action <> 'complete' THEN tasks.result
        WHEN tasks.cancel_requested_at IS NULL THEN i.result::jsonb
      END,
      error = CASE
        WHEN i.action = 'cancel' THEN ${CANCELLED_WHILE_RUNNING}
        WHEN tasks.cancel_requested_at IS NOT NULL AND i.action = 'complete'
          THEN 'cancelled while running; the handler had already finished, so what it did stands'
        WHEN tasks.cancel_requested_at IS NOT NULL THEN ${CANCELLED_WHILE_RUNNING}
        WHEN i.action = 'complete' THEN NULL
        ELSE i.error
      END,
      progress = CASE WHEN i.action = 'complete' AND tasks.cancel_requested_at IS NULL THEN 100 ELSE tasks.progress END,
      next_retry_at = CASE
        WHEN i.action = 'retry' AND tasks.cancel_requested_at IS NULL THEN now() + make_interval(secs => i.delay_seconds)
        WHEN i.action IN ('retry', 'fail') THEN NULL
        ELSE tasks.next_retry_at
      END,
      completed_at = CASE WHEN i.action = 'retry' AND tasks.cancel_requested_at IS NULL THEN tasks.completed_at ELSE now() END,
      attempts = CASE WHEN i.action = 'fail' THEN LEAST(tasks.attempts, tasks.max_attempts) ELSE tasks.attempts END,
      updated_at = now(), locked_by = NULL, locked_until = NULL
  FROM input i
  WHERE tasks.id = i.id AND tasks.status = 'IN_PROGRESS' AND tasks.locked_by = i.token
  RETURNING tasks.id, i.token, tasks.status, i.message_id, i.exchange, i.routing_key, i.headers, i.body
), queued AS (
  INSERT INTO outbox (task_id, kind, message_id, exchange, routing_key, headers, body)
  SELECT t.id, CASE WHEN t.status = 'RETRYING' THEN 'retry' ELSE 'dead-letter' END,
         t.message_id, t.exchange, t.routing_key, t.headers::jsonb, t.body::jsonb
  FROM t WHERE t.status IN ('RETRYING', 'FAILED')
)
SELECT token, status FROM t`;

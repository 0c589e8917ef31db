/** IN_PROGRESS → COMPLETED with the result, fenced by the claim token $2. */
export const COMPLETE_TASK = /* sql */ `
UPDATE tasks
SET status = 'COMPLETED', result = $3::jsonb, error = NULL, progress = 100,
    completed_at = now(), updated_at = now(), locked_by = NULL, locked_until = NULL
WHERE id = $1 AND status = 'IN_PROGRESS' AND locked_by = $2
RETURNING *`;

/**
 * IN_PROGRESS → RETRYING and the retry message into the outbox, in one statement: the message
 * exists exactly when the status was written. Fenced by the claim token $2.
 */
export const RETRY_TASK = /* sql */ `
WITH t AS (
  UPDATE tasks
  SET status = 'RETRYING', error = $3, next_retry_at = now() + make_interval(secs => $4),
      updated_at = now(), locked_by = NULL, locked_until = NULL
  WHERE id = $1 AND status = 'IN_PROGRESS' AND locked_by = $2
  RETURNING id
)
INSERT INTO outbox (task_id, kind, message_id, exchange, routing_key, headers, body)
SELECT t.id, 'retry', $5::uuid, $6, $7, $8::jsonb, $9::jsonb FROM t
RETURNING task_id`;

/**
 * IN_PROGRESS → FAILED for good and its copy for tasks.dlq into the outbox, in one statement.
 * Fenced by the claim token $2.
 */
export const FAIL_TASK = /* sql */ `
WITH t AS (
  UPDATE tasks
  SET status = 'FAILED', error = $3, next_retry_at = NULL, completed_at = now(), updated_at = now(),
      attempts = LEAST(attempts, max_attempts),
      locked_by = NULL, locked_until = NULL
  WHERE id = $1 AND status = 'IN_PROGRESS' AND locked_by = $2
  RETURNING id
)
INSERT INTO outbox (task_id, kind, message_id, exchange, routing_key, headers, body)
SELECT t.id, 'dead-letter', $4::uuid, $5, $6, $7::jsonb, $8::jsonb FROM t
RETURNING task_id`;

/** Progress of the running attempt, fenced by its claim token. */
export const REPORT_PROGRESS = /* sql */ `
UPDATE tasks SET progress = $3, updated_at = now()
WHERE id = $1 AND status = 'IN_PROGRESS' AND locked_by = $2`;

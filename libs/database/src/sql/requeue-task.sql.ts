/**
 * A user's retry, of one task (`POST /tasks/{id}/retry`) or of many (a DLQ replay): each task
 * whose status is one of $2 (FAILED or CANCELLED for a retry, FAILED for a replay) back to NEW
 * with its attempts starting again, and a new dispatch row in the outbox, in one statement: a
 * task is requeued exactly when its dispatch is written. Old messages of a task that are still
 * in a queue carry attempt numbers the task no longer waits for and are skipped.
 *
 * $1 a JSON array of `{id, message_id, exchange, routing_key, headers, body, queue_group,
 * event_routing_key}`, one per task (the last two: the type's queue group and event routing key as
 * the registry has them now);
 * $2 the statuses a retry may leave. Returns the requeued rows; a task in another status is
 * left out (the caller says why).
 */
export const REQUEUE_TASKS = /* sql */ `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb)
    AS i(id uuid, message_id uuid, exchange text, routing_key text, headers jsonb, body jsonb, queue_group text, event_routing_key text)
), t AS (
  UPDATE tasks
  SET status = 'NEW', attempts = 0, error = NULL, result = NULL, progress = NULL, next_retry_at = NULL,
      started_at = NULL, completed_at = NULL, cancel_requested_at = NULL, locked_by = NULL, locked_until = NULL,
      run_at = NULL, updated_at = now(), queue_group = i.queue_group, event_routing_key = i.event_routing_key
  FROM input i
  WHERE tasks.id = i.id AND tasks.status = ANY($2::task_status[])
  RETURNING tasks.*, i.message_id AS dispatch_message_id, i.exchange AS dispatch_exchange, i.routing_key AS dispatch_routing_key,
            i.headers AS dispatch_headers, i.body AS dispatch_body
), queued AS (
  INSERT INTO outbox (task_id, kind, message_id, exchange, routing_key, headers, body)
  SELECT t.id, 'dispatch', t.dispatch_message_id, t.dispatch_exchange, t.dispatch_routing_key, t.dispatch_headers, t.dispatch_body FROM t
)
SELECT * FROM t`;

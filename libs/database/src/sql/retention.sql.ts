/*
 * The retention clean-ups. Each deletes one batch, oldest first, and the relay calls it again
 * until a batch comes back short (caught up) or the run's time budget is spent. Why batches,
 * and why they are safe beside the relay's claim (claim-outbox-batch.sql.ts) and the workers:
 *
 * - A batch is one short statement: its row locks and its snapshot last milliseconds. One
 *   DELETE of a million rows would hold its snapshot for minutes, and VACUUM could not clean
 *   up behind any other writer of these tables meanwhile.
 * - The outbox clean-ups delete only rows the claim never selects (published, or given up:
 *   the claim reads `published_at IS NULL AND failed_at IS NULL`), so they never wait for a
 *   relay that holds a claimed row between its publish and its commit, and it never waits
 *   for them.
 * - FOR UPDATE SKIP LOCKED in the batch's SELECT: two relays cleaning at once take different
 *   rows instead of queueing behind each other's locks, and a task row another transaction is
 *   changing right now (a user's retry taking it back to NEW) is skipped, not deleted under it.
 */

/** Deletes up to $2 published outbox rows older than $1 hours (outbox_published_idx). */
export const DELETE_PUBLISHED_OUTBOX = /* sql */ `
DELETE FROM outbox
WHERE id IN (
  SELECT id FROM outbox
  WHERE published_at IS NOT NULL AND published_at < now() - make_interval(hours => $1)
  ORDER BY published_at
  LIMIT $2
  FOR UPDATE SKIP LOCKED
)`;

/**
 * Deletes up to $2 outbox rows whose dispatch gave up (failed_at set) more than $1 hours ago
 * (outbox_failed_idx). Their task is FAILED with the reason in its error and its timeline, so
 * the row itself tells nothing more.
 */
export const DELETE_GIVEN_UP_OUTBOX = /* sql */ `
DELETE FROM outbox
WHERE id IN (
  SELECT id FROM outbox
  WHERE failed_at IS NOT NULL AND failed_at < now() - make_interval(hours => $1)
  ORDER BY failed_at
  LIMIT $2
  FOR UPDATE SKIP LOCKED
)`;

/**
 * Deletes up to $2 finished tasks (status in $3: COMPLETED, FAILED, CANCELLED) that finished
 * more than $1 days ago, oldest first (tasks_finished_idx). Their timeline (task_events) and
 * their outbox rows go with them: both reference tasks ON DELETE CASCADE, through an index on
 * task_id. A task a user is retrying right now is locked, so SKIP LOCKED passes it by; once
 * retried it is NEW with no completed_at and no longer matches.
 */
export const DELETE_FINISHED_TASKS = /* sql */ `
DELETE FROM tasks
WHERE id IN (
  SELECT id FROM tasks
  WHERE completed_at IS NOT NULL AND completed_at < now() - make_interval(days => $1)
    AND status = ANY($3::task_status[])
  ORDER BY completed_at
  LIMIT $2
  FOR UPDATE SKIP LOCKED
)`;

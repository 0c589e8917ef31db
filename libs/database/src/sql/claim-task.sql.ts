/**
 * The columns of a claimed task the worker reads (`ClaimedTask`), not the whole row: a claim
 * answers thousands of rows a second, and the columns left out (title, description, result,
 * error, progress, the other timestamps) cost Postgres to send and the worker to parse and hold
 * for nothing. A fixed list also keeps the answer's type fixed: the worker sends these as named
 * prepared statements, and a prepared `SELECT *` over `SETOF tasks` would fail with "cached plan
 * must not change result type" on every running worker once a migration added a column to tasks.
 */
const CLAIMED_COLUMNS = `id, type, priority, payload, status, attempts, max_attempts, correlation_id, locked_by,
  cancel_requested_at, created_at, run_at, started_at, queue_group`;

/**
 * A worker's claim of task $1 for the delivery of attempt $2, with claim token $3 and a lease
 * of $4 seconds (TASK_LEASE_SECONDS), through the `claim_task` function of the migrations: the
 * batch claim below with one delivery, which first waits for a relay that still holds the row
 * between its publish and its commit. It returns the task only when this delivery is the one
 * the task waits for:
 *
 * - PENDING or RETRYING ($5, from the status machine) with attempts = $2 - 1: the dispatch or
 *   retry message of the next attempt;
 * - IN_PROGRESS with attempts = $2 whose lease expired or was released by the relay's sweeper:
 *   the worker that held it stopped renewing (it died, hangs, or lost Postgres), and this one
 *   takes over as a new attempt.
 *
 * Anything else (a duplicate, a redelivery while the holder's lease is live, a late message, a
 * cancelled or finished task) matches no row, and the worker acknowledges the message without
 * running the handler. The row lock taken by the function serialises two claims of one task, so
 * at most one of them sees the old state. Every later write of this attempt is fenced by the
 * token, so a worker that was paused past its lease cannot overwrite what the one that took
 * over wrote.
 */
export const CLAIM_TASK = /* sql */ `SELECT ${CLAIMED_COLUMNS} FROM claim_task($1, $2, $3, $4, $5::task_status[])`;

/**
 * Several claims in one statement and one commit, through the `claim_tasks` function of the
 * migrations: $1, $2 and $3 are parallel arrays of task ids, delivered attempts and claim
 * tokens, $4 the lease in seconds, $5 the claimable statuses. Set-based: one statement locks the
 * batch's rows in id order (so two batches that share tasks do not deadlock), then one UPDATE
 * over `unnest()` decides every delivery on the rows as committed. Each claim matches (or not)
 * exactly as {@link CLAIM_TASK} does; of two copies of one delivery in a batch the first claims
 * and the second finds its live lease. The answer holds the rows claimed, each with its token in
 * `locked_by`, and a claim missing from it matched nothing.
 */
export const CLAIM_TASKS = /* sql */ `SELECT ${CLAIMED_COLUMNS} FROM claim_tasks($1::uuid[], $2::integer[], $3::text[], $4, $5::task_status[])`;

import { type EffectiveRetry, PermanentTaskError, policyRetryDelaySeconds } from '#tasks';
import { LeaseLostError, TaskCancelledError, TaskTimeoutError, WorkerShutdownError } from './abort-reasons.js';
import { ResultNotStorableError, serializeResult, storableText } from './storable.js';

/** How an attempt ended: the handler's result, or why it did not hand one back. */
export type AttemptOutcome = { ok: true; result: unknown } | { ok: false; error: unknown };

/** Where the attempt stands, and the settings that decide what follows it. */
export interface OutcomeContext {
  /** The attempt that ran (after a take-over, the one the claim moved the count on to). */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** The type's retry policy: the RETRY_DELAYS_SECONDS ladder (retry k waits its k-th step, the last repeating) or its own backoff. */
  readonly retry: EffectiveRetry;
  /** TASK_RESULT_MAX_BYTES. */
  readonly resultMaxBytes: number;
}

/** The `x-task-dead-reason` of a task that failed for good. */
export type FailureReason = 'timeout' | 'result-not-storable' | 'worker-lost' | 'permanent-error' | 'max-attempts-exhausted';

/** What the executor writes (or does not) once an attempt has ended. */
export type OutcomeDecision =
  /** COMPLETED with the result as this JSON text. */
  | { action: 'complete'; resultJson: string }
  /** CANCELLED: a user cancelled the task. */
  | { action: 'cancel' }
  /** RETRYING, with `error` as the attempt's error, and a retry message for `nextAttempt` through the delay queue of `delaySeconds`. */
  | { action: 'retry'; error: string; delaySeconds: number; nextAttempt: number }
  /** FAILED for good after `attempts` attempts, with a copy in `tasks.dlq` that gives `reason`. */
  | { action: 'fail'; error: string; reason: FailureReason; attempts: number }
  /** The worker shut down under the handler: not the task's fault. End the lease and hand the message back. */
  | { action: 'hand-back' }
  /** The lease is gone and another worker may hold the task: write nothing, hand the message back. */
  | { action: 'abandon'; why: string };

/** A decision to fail the task for good. */
export type FailDecision = Extract<OutcomeDecision, { action: 'fail' }>;

/**
 * A take-over of a task whose last attempt's worker was lost: the claim moved the count past
 * maxAttempts, so the task fails (reason `worker-lost`) instead of running again.
 */
export class WorkerLostError extends PermanentTaskError {
  override readonly code = 'TASK_WORKER_LOST';
  constructor(maxAttempts: number) {
    super(`the worker running attempt ${maxAttempts} was lost, and no attempts remain`);
    this.name = 'WorkerLostError';
  }
}

/**
 * The outcome of a claimed attempt whose handler must not run: a cancel was requested before it
 * started, or it is a take-over with no attempt left. Undefined when the handler runs.
 */
export function outcomeWithoutRunning(task: { cancelRequested: boolean; attempt: number; maxAttempts: number }): AttemptOutcome | undefined {
  if (task.cancelRequested) return { ok: false, error: new TaskCancelledError() };
  if (task.attempt > task.maxAttempts) return { ok: false, error: new WorkerLostError(task.maxAttempts) };
  return undefined;
}

/**
 * What follows an attempt, decided from its outcome alone. A result is completed when it can be
 * stored (otherwise {@link decideUnstorableResult}). A cancel cancels. A shutdown or a lost
 * lease writes nothing. Any other error retries while attempts remain, unless it is permanent
 * (a PermanentTaskError); otherwise the task fails, with the reason its dead-letter copy gives.
 */
export function decideOutcome(outcome: AttemptOutcome, context: OutcomeContext): OutcomeDecision {
  if (outcome.ok) {
    const serialized = serializeResult(outcome.result, context.resultMaxBytes);
    if (serialized.ok) return { action: 'complete', resultJson: serialized.json };
    return decideUnstorableResult(serialized.reason, context);
  }
  const failure = outcome.error;
  if (failure instanceof WorkerShutdownError) return { action: 'hand-back' };
  if (failure instanceof LeaseLostError) return { action: 'abandon', why: failure.message };
  if (failure instanceof TaskCancelledError) return { action: 'cancel' };
  if (!(failure instanceof PermanentTaskError) && context.attempt < context.maxAttempts) {
    const { attempt } = context;
    return { action: 'retry', error: errorText(failure), delaySeconds: policyRetryDelaySeconds(context.retry, attempt), nextAttempt: attempt + 1 };
  }
  return fail(failure, context);
}

/**
 * What follows a result that cannot be stored (`reason` says why: the serializer's finding, or
 * Postgres' refusal of the write): the task fails at once, since trying again would hand back
 * the same result.
 */
export function decideUnstorableResult(reason: string, context: OutcomeContext): FailDecision {
  return fail(new ResultNotStorableError(reason), context);
}

function fail(failure: unknown, context: OutcomeContext): FailDecision {
  return { action: 'fail', error: errorText(failure), reason: failureReason(failure, context), attempts: Math.min(context.attempt, context.maxAttempts) };
}

function failureReason(failure: unknown, { attempt, maxAttempts }: OutcomeContext): FailureReason {
  if (failure instanceof TaskTimeoutError) return 'timeout';
  if (failure instanceof ResultNotStorableError) return 'result-not-storable';
  if (attempt > maxAttempts) return 'worker-lost';
  if (failure instanceof PermanentTaskError) return 'permanent-error';
  return 'max-attempts-exhausted';
}

/** The error text to store: the message (or the name of an error without one), in characters Postgres accepts. */
function errorText(error: unknown): string {
  return storableText(error instanceof Error ? error.message || error.name : String(error));
}

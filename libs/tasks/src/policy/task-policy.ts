import type { AppConfig } from '#config';
import { defaultMaxAttempts, retryDelaySeconds } from '../retry/retry-delay.js';

/** The most attempts a task may have, by type or by request (`maxAttempts` 1–20). */
export const MAX_ATTEMPTS_LIMIT = 20;
/** The longest delay, time-out and retry step, as RETRY_DELAYS_SECONDS and TASK_TIMEOUT_SECONDS accept. */
export const MAX_POLICY_SECONDS = 86_400;
/** The largest per-type concurrency (WORKER_PREFETCH's own limit: more could never run at once). */
export const MAX_CONCURRENCY = 1000;

/** The longest a batch type's gatherer waits for more items after the first (`batch.maxWaitMs`). */
export const MAX_BATCH_WAIT_MS = 60_000;

/**
 * A batch type's gathering, as `@TaskHandler({ batch })` declares it: the worker runs up to `size`
 * claimed tasks of the type in one `runBatch` call, or what came within `maxWaitMs` of the first.
 */
export interface BatchPolicyOptions {
  /** Items in one runBatch call at most (1–1000); no more than WORKER_PREFETCH nor the type's concurrency. */
  size: number;
  /** Milliseconds (0–60000) the first item waits for others; 0: only what arrives in the same turn of the event loop. */
  maxWaitMs: number;
}

export const RETRY_BACKOFFS = ['fixed', 'linear', 'exponential'] as const;
export type RetryBackoff = (typeof RETRY_BACKOFFS)[number];

/** A type's own retry delays, as `@TaskHandler({ retry })` declares them. */
export interface RetryPolicyOptions {
  /** fixed: always `initialDelaySeconds`; linear: initial × retry; exponential: initial × 2^(retry−1). */
  backoff: RetryBackoff;
  /** Whole seconds, 1–86400: the delay before the first retry. */
  initialDelaySeconds: number;
  /** Whole seconds, initialDelaySeconds–86400: no delay is longer. Default 86400. */
  maxDelaySeconds?: number;
}

/** What a type may set in `@TaskHandler`; anything left out falls back to the global setting. */
export interface TaskPolicyOptions {
  /** Attempts of a task of this type that did not set its own (1–20); default `1 + MAX_RETRIES`. */
  maxAttempts?: number;
  /** Delays between attempts; default the RETRY_DELAYS_SECONDS ladder. */
  retry?: RetryPolicyOptions;
  /** Seconds an attempt may run (1–86400); default TASK_TIMEOUT_SECONDS. */
  timeoutSeconds?: number;
  /** At most this many tasks of this type run at once in one worker (1–1000); default no limit but WORKER_PREFETCH. */
  concurrency?: number;
  /** Run tasks of this type in batches through the handler's `runBatch`; absent: one by one through `run`. */
  batch?: BatchPolicyOptions;
}

/** The global settings a type falls back to. */
export interface PolicyDefaults {
  /** 1 + MAX_RETRIES. */
  maxAttempts: number;
  /** RETRY_DELAYS_SECONDS. */
  retryDelaysSeconds: readonly number[];
  /** TASK_TIMEOUT_SECONDS. */
  timeoutSeconds: number;
}

/** The global settings of a configuration, as a type falls back to them. */
export function policyDefaults(config: Pick<AppConfig, 'retry' | 'worker'>): PolicyDefaults {
  return {
    maxAttempts: defaultMaxAttempts(config.retry.maxRetries),
    retryDelaysSeconds: config.retry.delaysSeconds,
    timeoutSeconds: config.worker.taskTimeoutSeconds,
  };
}

/** How a type's retries wait, once resolved: the global ladder, or its own backoff. */
export type EffectiveRetry =
  { backoff: 'ladder'; delaysSeconds: readonly number[] } | { backoff: RetryBackoff; initialDelaySeconds: number; maxDelaySeconds: number };

/** A type's policy with every default filled in. */
export interface EffectiveTaskPolicy {
  maxAttempts: number;
  retry: EffectiveRetry;
  timeoutSeconds: number;
  /** Null: no limit of its own (only WORKER_PREFETCH). */
  concurrency: number | null;
  /** Null: tasks run one by one. */
  batch: BatchPolicyOptions | null;
}

/** One field of a policy that is not valid: `retry.initialDelaySeconds`, and what it accepts. */
export interface PolicyProblem {
  field: string;
  message: string;
}

/**
 * The delay steps a type's own retry policy is rounded onto. A delay queue exists per step
 * (`tasks.retry.<n>s`), so the broker holds at most these (plus RETRY_DELAYS_SECONDS) whatever
 * the types ask for. Every whole second up to 10 is a step, and above that each step is at most a
 * third above the one before, so rounding a whole number of seconds to the nearest step moves it
 * by at most a seventh.
 */
export const DELAY_STEP_GRID: readonly number[] = [
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 20, 25, 30, 40, 50, 60, 75, 90, 120, 150, 180, 240, 300, 360, 480, 600, 780, 1020, 1350, 1800, 2400, 3000, 3600, 4800,
  6000, 7200, 9600, 12000, 14400, 19200, 24000, 28800, 36000, 43200, 57600, 72000, 86400,
];

/**
 * The grid step nearest to `seconds` (a tie goes to the longer step, so a retry never waits
 * much less than asked); delays beyond the grid take its last step.
 */
export function roundToDelayStep(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds <= 0) throw new RangeError(`A delay must be a positive number of seconds (got ${seconds})`);
  let best = DELAY_STEP_GRID[DELAY_STEP_GRID.length - 1];
  for (let i = 0; i < DELAY_STEP_GRID.length; i++) {
    const step = DELAY_STEP_GRID[i];
    if (step < seconds) continue;
    const below = i > 0 ? DELAY_STEP_GRID[i - 1] : undefined;
    best = below !== undefined && seconds - below < step - seconds ? below : step;
    break;
  }
  return best;
}

/**
 * The delay a backoff asks before retry `retry` (1-based), before rounding: fixed the initial
 * delay, linear initial × retry, exponential initial × 2^(retry−1), never above the maximum.
 */
export function backoffDelaySeconds(policy: { backoff: RetryBackoff; initialDelaySeconds: number; maxDelaySeconds: number }, retry: number): number {
  if (!Number.isInteger(retry) || retry < 1) throw new RangeError(`Retry number must be a whole number from 1 (got ${retry})`);
  const { initialDelaySeconds: initial, maxDelaySeconds: max } = policy;
  switch (policy.backoff) {
    case 'fixed':
      return Math.min(initial, max);
    case 'linear':
      return Math.min(initial * retry, max);
    case 'exponential':
      // 2^(retry−1) overflows nothing below 2^1024; the cap applies long before.
      return Math.min(initial * 2 ** (retry - 1), max);
  }
}

/** The delay before retry `retry` under a resolved policy: a ladder step as it is, a backoff rounded onto the grid. */
export function policyRetryDelaySeconds(retry: EffectiveRetry, attempt: number): number {
  if (retry.backoff === 'ladder') return retryDelaySeconds(retry.delaysSeconds, attempt);
  return roundToDelayStep(backoffDelaySeconds(retry, attempt));
}

/** The delays of retries 1…`count`, as `GET /task-types` shows them. */
export function retryDelays(retry: EffectiveRetry, count: number): number[] {
  return Array.from({ length: count }, (_, i) => policyRetryDelaySeconds(retry, i + 1));
}

/**
 * The delay steps a type's own backoff can ask for, over every retry a task may have (a request
 * may set up to 20 attempts whatever the type's default): the delay queues it needs.
 */
export function delayStepsOf(retry: EffectiveRetry): number[] {
  return [...new Set(retryDelays(retry, MAX_ATTEMPTS_LIMIT - 1))].sort((a, b) => a - b);
}

/** Every field of `options` that is not valid, with what it accepts; empty when all are. */
export function validateTaskPolicy(options: TaskPolicyOptions): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const wholeIn = (field: string, value: unknown, min: number, max: number) => {
    if (value === undefined) return;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      problems.push({ field, message: `must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})` });
    }
  };
  wholeIn('maxAttempts', options.maxAttempts, 1, MAX_ATTEMPTS_LIMIT);
  wholeIn('timeoutSeconds', options.timeoutSeconds, 1, MAX_POLICY_SECONDS);
  wholeIn('concurrency', options.concurrency, 1, MAX_CONCURRENCY);
  const retry = options.retry as Partial<RetryPolicyOptions> | undefined | null;
  if (retry === null || (retry !== undefined && typeof retry !== 'object')) {
    problems.push({ field: 'retry', message: `must be an object { backoff, initialDelaySeconds, maxDelaySeconds? } (got ${JSON.stringify(retry)})` });
  } else if (retry !== undefined) {
    if (!RETRY_BACKOFFS.includes(retry.backoff as RetryBackoff)) {
      problems.push({ field: 'retry.backoff', message: `must be one of ${RETRY_BACKOFFS.join(', ')} (got ${JSON.stringify(retry.backoff)})` });
    }
    if (retry.initialDelaySeconds === undefined) problems.push({ field: 'retry.initialDelaySeconds', message: 'is required' });
    wholeIn('retry.initialDelaySeconds', retry.initialDelaySeconds, 1, MAX_POLICY_SECONDS);
    const initialOk = Number.isInteger(retry.initialDelaySeconds) && (retry.initialDelaySeconds as number) >= 1;
    wholeIn(
      'retry.maxDelaySeconds',
      retry.maxDelaySeconds,
      initialOk ? Math.min(retry.initialDelaySeconds as number, MAX_POLICY_SECONDS) : 1,
      MAX_POLICY_SECONDS,
    );
    const known = new Set(['backoff', 'initialDelaySeconds', 'maxDelaySeconds']);
    for (const key of Object.keys(retry)) if (!known.has(key)) problems.push({ field: `retry.${key}`, message: 'is not a retry setting' });
  }
  const batch = options.batch as Partial<BatchPolicyOptions> | undefined | null;
  if (batch === null || (batch !== undefined && typeof batch !== 'object')) {
    problems.push({ field: 'batch', message: `must be an object { size, maxWaitMs } (got ${JSON.stringify(batch)})` });
  } else if (batch !== undefined) {
    if (batch.size === undefined) problems.push({ field: 'batch.size', message: 'is required' });
    if (batch.maxWaitMs === undefined) problems.push({ field: 'batch.maxWaitMs', message: 'is required' });
    wholeIn('batch.size', batch.size, 1, MAX_CONCURRENCY);
    wholeIn('batch.maxWaitMs', batch.maxWaitMs, 0, MAX_BATCH_WAIT_MS);
    // A batch is gathered from tasks that hold a slot each: with fewer slots it could never fill.
    const { concurrency } = options;
    if (Number.isInteger(batch.size) && Number.isInteger(concurrency) && (batch.size as number) > (concurrency as number)) {
      problems.push({
        field: 'batch.size',
        message: `must not exceed the type's concurrency ${concurrency} (got ${batch.size}): a batch is gathered from tasks running at once`,
      });
    }
    const known = new Set(['size', 'maxWaitMs']);
    for (const key of Object.keys(batch)) if (!known.has(key)) problems.push({ field: `batch.${key}`, message: 'is not a batch setting' });
  }
  return problems;
}

/** The policy of a type: its own settings where it has them, the global ones elsewhere. Assumes {@link validateTaskPolicy} passed. */
export function resolveTaskPolicy(options: TaskPolicyOptions, defaults: PolicyDefaults): EffectiveTaskPolicy {
  const retry: EffectiveRetry = options.retry
    ? {
        backoff: options.retry.backoff,
        initialDelaySeconds: options.retry.initialDelaySeconds,
        maxDelaySeconds: options.retry.maxDelaySeconds ?? MAX_POLICY_SECONDS,
      }
    : { backoff: 'ladder', delaysSeconds: defaults.retryDelaysSeconds };
  return {
    maxAttempts: options.maxAttempts ?? defaults.maxAttempts,
    retry,
    timeoutSeconds: options.timeoutSeconds ?? defaults.timeoutSeconds,
    concurrency: options.concurrency ?? null,
    batch: options.batch ? { size: options.batch.size, maxWaitMs: options.batch.maxWaitMs } : null,
  };
}

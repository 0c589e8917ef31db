/**
 * The delay before retry `k` (1-based): the k-th step of the ladder, the last step repeating.
 * `RETRY_DELAYS_SECONDS=5,30,120` gives 5, 30, 120, 120, ... for k = 1, 2, 3, 4, ...
 */
export function retryDelaySeconds(ladder: readonly number[], retry: number): number {
  if (ladder.length === 0) throw new RangeError('The retry ladder needs at least one delay');
  if (!Number.isInteger(retry) || retry < 1) throw new RangeError(`Retry number must be a whole number from 1 (got ${retry})`);
  return ladder[Math.min(retry, ladder.length) - 1];
}

/** maxAttempts of a task that did not set its own: the first try plus MAX_RETRIES. */
export function defaultMaxAttempts(maxRetries: number): number {
  return 1 + maxRetries;
}

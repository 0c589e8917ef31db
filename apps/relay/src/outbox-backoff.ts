/**
 * Seconds before a failed publish of an outbox row is tried again: 1, 2, 4, ... doubling per
 * attempt and capped at `maxSeconds`, so a broker that refuses a message is not hammered.
 */
export function outboxBackoffSeconds(attempts: number, maxSeconds = 60): number {
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError(`attempts must be a whole number from 1 (got ${attempts})`);
  return Math.min(2 ** (attempts - 1), maxSeconds);
}

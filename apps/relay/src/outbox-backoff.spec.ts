import { outboxBackoffSeconds } from './outbox-backoff.js';

describe(outboxBackoffSeconds.name, () => {
  it.each([
    [1, 1],
    [2, 2],
    [3, 4],
    [4, 8],
    [6, 32],
  ])('waits after failed attempt %i %i seconds, doubling each time', (attempts, expected) => {
    expect(outboxBackoffSeconds(attempts)).toBe(expected);
  });

  it.each([7, 8, 100, 5000])('caps attempt %i at 60 seconds by default', (attempts) => {
    expect(outboxBackoffSeconds(attempts)).toBe(60);
  });

  it('caps at the given maximum', () => {
    expect(outboxBackoffSeconds(4, 5)).toBe(5);
    expect(outboxBackoffSeconds(3, 5)).toBe(4);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('throws RangeError for attempts %p', (attempts) => {
    expect(() => outboxBackoffSeconds(attempts)).toThrow(RangeError);
  });
});

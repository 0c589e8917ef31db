import { defaultMaxAttempts, retryDelaySeconds } from './retry-delay.js';

const ladder = [5, 30, 120];

describe(retryDelaySeconds.name, () => {
  it.each([
    [1, 5],
    [2, 30],
    [3, 120],
    [4, 120],
    [5, 120],
  ])('waits, before retry %i on the ladder 5,30,120, %i seconds', (retry, expected) => {
    expect(retryDelaySeconds(ladder, retry)).toBe(expected);
  });

  it.each([1, 2, 10])('repeats the only step of a one-step ladder for retry %i', (retry) => {
    expect(retryDelaySeconds([60], retry)).toBe(60);
  });

  it.each([0, -1, 1.5, Number.NaN])('throws RangeError for retry %p', (retry) => {
    expect(() => retryDelaySeconds(ladder, retry)).toThrow(RangeError);
  });

  it('throws RangeError for an empty ladder', () => {
    expect(() => retryDelaySeconds([], 1)).toThrow(new RangeError('The retry ladder needs at least one delay'));
  });
});

describe(defaultMaxAttempts.name, () => {
  it.each([
    [0, 1],
    [3, 4],
    [19, 20],
  ])('makes MAX_RETRIES=%i into %i attempts: the first try plus the retries', (maxRetries, expected) => {
    expect(defaultMaxAttempts(maxRetries)).toBe(expected);
  });
});

import {
  backoffDelaySeconds,
  DELAY_STEP_GRID,
  delayStepsOf,
  MAX_POLICY_SECONDS,
  policyRetryDelaySeconds,
  resolveTaskPolicy,
  retryDelays,
  roundToDelayStep,
  type TaskPolicyOptions,
  validateTaskPolicy,
} from './task-policy.js';

const defaults = { maxAttempts: 4, retryDelaysSeconds: [5, 30, 120], timeoutSeconds: 300 };

describe(backoffDelaySeconds.name, () => {
  it.each([
    ['fixed', [10, 10, 10, 10]],
    ['linear', [10, 20, 30, 40]],
    ['exponential', [10, 20, 40, 80]],
  ] as const)('gives %s backoff from 10 s the delays %j for retries 1 to 4', (backoff, expected) => {
    const sut = (retry: number) => backoffDelaySeconds({ backoff, initialDelaySeconds: 10, maxDelaySeconds: 1000 }, retry);

    expect([1, 2, 3, 4].map(sut)).toEqual(expected);
  });

  it.each(['linear', 'exponential'] as const)('caps %s backoff at maxDelaySeconds', (backoff) => {
    expect(backoffDelaySeconds({ backoff, initialDelaySeconds: 10, maxDelaySeconds: 25 }, 19)).toBe(25);
  });

  it('caps exponential backoff past any number a retry count can reach', () => {
    expect(backoffDelaySeconds({ backoff: 'exponential', initialDelaySeconds: 86_400, maxDelaySeconds: 86_400 }, 19)).toBe(86_400);
  });

  it.each([0, -1, 1.5])('throws RangeError for retry %p', (retry) => {
    expect(() => backoffDelaySeconds({ backoff: 'fixed', initialDelaySeconds: 1, maxDelaySeconds: 1 }, retry)).toThrow(RangeError);
  });
});

describe(roundToDelayStep.name, () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])('keeps %i s, a step of the grid', (seconds) => {
    expect(roundToDelayStep(seconds)).toBe(seconds);
  });

  it.each([
    [11, 12],
    [13, 12],
    [14, 15],
    [17, 15],
    [18, 20],
    [100, 90],
    [110, 120],
    [1000, 1020],
    [100_000, 86_400],
  ])('rounds %i s to the nearest step, %i s', (seconds, step) => {
    expect(roundToDelayStep(seconds)).toBe(step);
  });

  it('sends a tie to the longer step', () => {
    expect(roundToDelayStep(135)).toBe(150);
  });

  it('moves no whole number of seconds up to a day by more than a seventh', () => {
    let worst = 0;
    for (let seconds = 1; seconds <= MAX_POLICY_SECONDS; seconds++) worst = Math.max(worst, Math.abs(roundToDelayStep(seconds) - seconds) / seconds);
    expect(worst).toBeLessThanOrEqual(1 / 7 + 1e-9);
  });

  it('has a grid of at most 50 ascending steps from 1 s to a day', () => {
    expect(DELAY_STEP_GRID.length).toBeLessThanOrEqual(50);
    expect([...DELAY_STEP_GRID].sort((a, b) => a - b)).toEqual(DELAY_STEP_GRID);
    expect(DELAY_STEP_GRID[0]).toBe(1);
    expect(DELAY_STEP_GRID.at(-1)).toBe(MAX_POLICY_SECONDS);
  });
});

describe(policyRetryDelaySeconds.name, () => {
  it('takes the ladder as it is, the last step repeating, without rounding', () => {
    const sut = (retry: number) => policyRetryDelaySeconds({ backoff: 'ladder', delaysSeconds: [7, 33] }, retry);

    expect([1, 2, 3].map(sut)).toEqual([7, 33, 33]);
  });

  it('rounds a backoff onto the grid', () => {
    expect(retryDelays({ backoff: 'linear', initialDelaySeconds: 11, maxDelaySeconds: 1000 }, 3)).toEqual([12, 20, 30]);
  });

  it('gives exponential 1 s, capped at 4 s, as 1, 2, 4, 4', () => {
    expect(retryDelays({ backoff: 'exponential', initialDelaySeconds: 1, maxDelaySeconds: 4 }, 4)).toEqual([1, 2, 4, 4]);
  });
});

describe(delayStepsOf.name, () => {
  it('lists the distinct steps of all 19 retries a task may have', () => {
    expect(delayStepsOf({ backoff: 'exponential', initialDelaySeconds: 1, maxDelaySeconds: 60 })).toEqual([1, 2, 4, 8, 15, 30, 60]);
  });

  it('needs one step for a fixed backoff', () => {
    expect(delayStepsOf({ backoff: 'fixed', initialDelaySeconds: 44, maxDelaySeconds: 86_400 })).toEqual([40]);
  });

  it('stays on the grid whatever the policy', () => {
    const steps = delayStepsOf({ backoff: 'linear', initialDelaySeconds: 997, maxDelaySeconds: 86_400 });
    for (const step of steps) expect(DELAY_STEP_GRID).toContain(step);
  });
});

describe(validateTaskPolicy.name, () => {
  it('accepts no policy at all', () => {
    expect(validateTaskPolicy({})).toEqual([]);
  });

  it('accepts a full policy', () => {
    const sut: TaskPolicyOptions = {
      maxAttempts: 5,
      retry: { backoff: 'exponential', initialDelaySeconds: 2, maxDelaySeconds: 600 },
      timeoutSeconds: 30,
      concurrency: 3,
    };
    expect(validateTaskPolicy(sut)).toEqual([]);
  });

  it.each([
    [{ maxAttempts: 0 }, 'maxAttempts'],
    [{ maxAttempts: 21 }, 'maxAttempts'],
    [{ maxAttempts: 2.5 }, 'maxAttempts'],
    [{ timeoutSeconds: 0 }, 'timeoutSeconds'],
    [{ timeoutSeconds: 86_401 }, 'timeoutSeconds'],
    [{ concurrency: 0 }, 'concurrency'],
    [{ concurrency: '2' }, 'concurrency'],
    [{ retry: { backoff: 'random', initialDelaySeconds: 1 } }, 'retry.backoff'],
    [{ retry: { backoff: 'fixed' } }, 'retry.initialDelaySeconds'],
    [{ retry: { backoff: 'fixed', initialDelaySeconds: 0 } }, 'retry.initialDelaySeconds'],
    [{ retry: { backoff: 'linear', initialDelaySeconds: 10, maxDelaySeconds: 5 } }, 'retry.maxDelaySeconds'],
    [{ retry: { backoff: 'linear', initialDelaySeconds: 10, maxDelaySeconds: 86_401 } }, 'retry.maxDelaySeconds'],
    [{ retry: { backoff: 'linear', initialDelaySeconds: 10, jitter: true } }, 'retry.jitter'],
    [{ retry: null }, 'retry'],
  ])('refuses %j, naming %s', (options, field) => {
    const problems = validateTaskPolicy(options as TaskPolicyOptions);

    expect(problems.map((p) => p.field)).toEqual([field]);
    expect(problems[0].message).not.toBe('');
  });

  it('says what a number field accepts and what it got', () => {
    expect(validateTaskPolicy({ maxAttempts: 0 })).toEqual([{ field: 'maxAttempts', message: 'must be a whole number from 1 to 20 (got 0)' }]);
  });
});

describe(resolveTaskPolicy.name, () => {
  it('falls back to every global setting', () => {
    expect(resolveTaskPolicy({}, defaults)).toEqual({
      maxAttempts: 4,
      retry: { backoff: 'ladder', delaysSeconds: [5, 30, 120] },
      timeoutSeconds: 300,
      concurrency: null,
      batch: null,
    });
  });

  it("takes the type's own settings, a missing maxDelaySeconds being a day", () => {
    const sut = resolveTaskPolicy({ maxAttempts: 2, retry: { backoff: 'fixed', initialDelaySeconds: 1 }, timeoutSeconds: 5, concurrency: 1 }, defaults);

    expect(sut).toEqual({
      maxAttempts: 2,
      retry: { backoff: 'fixed', initialDelaySeconds: 1, maxDelaySeconds: 86_400 },
      timeoutSeconds: 5,
      concurrency: 1,
      batch: null,
    });
  });

  it("takes the type's batch settings", () => {
    expect(resolveTaskPolicy({ batch: { size: 50, maxWaitMs: 200 } }, defaults).batch).toEqual({ size: 50, maxWaitMs: 200 });
  });
});

describe('validateTaskPolicy of a batch', () => {
  it('accepts a batch within its limits', () => {
    expect(validateTaskPolicy({ batch: { size: 10, maxWaitMs: 0 }, concurrency: 10 })).toEqual([]);
  });

  it.each([
    [{ batch: { size: 0, maxWaitMs: 10 } }, ['batch.size']],
    [{ batch: { size: 1001, maxWaitMs: 10 } }, ['batch.size']],
    [{ batch: { size: 5, maxWaitMs: -1 } }, ['batch.maxWaitMs']],
    [{ batch: { size: 5, maxWaitMs: 60_001 } }, ['batch.maxWaitMs']],
    [{ batch: { size: 5 } }, ['batch.maxWaitMs']],
    [{ batch: { size: 5, maxWaitMs: 1, extra: 1 } }, ['batch.extra']],
    [{ batch: 5 }, ['batch']],
    [{ batch: { size: 5, maxWaitMs: 1 }, concurrency: 4 }, ['batch.size']],
  ])('refuses %j, naming %j', (options, fields) => {
    expect(validateTaskPolicy(options as never).map((p) => p.field)).toEqual(fields);
  });

  it("says a batch cannot be larger than the type's concurrency", () => {
    expect(validateTaskPolicy({ batch: { size: 5, maxWaitMs: 1 }, concurrency: 4 })[0].message).toContain("must not exceed the type's concurrency 4");
  });
});

import { releasedResendSeconds, sweepIntervalMs } from './maintenance.service.js';

describe('sweepIntervalMs', () => {
  it.each([
    [3, 1_000],
    [6, 2_000],
    [9, 3_000],
    [30, 5_000],
    [3_600, 5_000],
  ])('sweeps every third of a %i s lease, from 1 to 5 s', (lease, expected) => {
    expect(sweepIntervalMs(lease)).toBe(expected);
  });
});

describe('releasedResendSeconds', () => {
  it('waits the task time-out plus as long again, at most 30 s more', () => {
    expect(releasedResendSeconds(10)).toBe(20);
    expect(releasedResendSeconds(300)).toBe(330);
  });
});

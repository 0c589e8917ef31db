import { formatDuration, formatRate, formatRelative } from './format.js';

describe(formatRelative.name, () => {
  const now = Date.parse('2026-11-26T01:00:00Z');

  it('says how long ago a past time was', () => {
    expect(formatRelative('2026-11-26T00:59:48Z', now)).toBe('12 s ago');
    expect(formatRelative('2026-11-26T00:55:57Z', now)).toBe('4 min 3 s ago');
    expect(formatRelative('2026-11-25T22:55:00Z', now)).toBe('2 h 5 min ago');
  });

  it('says how far off a future time is', () => {
    expect(formatRelative('2026-11-26T01:00:30Z', now)).toBe('in 30 s');
  });

  it('calls less than a second "just now", and no time nothing', () => {
    expect(formatRelative('2026-11-26T00:59:59.600Z', now)).toBe('just now');
    expect(formatRelative(null, now)).toBe('');
    expect(formatRelative('not a date', now)).toBe('');
  });
});

describe(formatDuration.name, () => {
  it('keeps short durations precise and long ones short', () => {
    expect(formatDuration(0.123)).toBe('0.12 s');
    expect(formatDuration(4.56)).toBe('4.6 s');
    expect(formatDuration(42)).toBe('42 s');
    expect(formatDuration(300)).toBe('5 min');
    expect(formatDuration(3 * 86400 + 4 * 3600)).toBe('3 d 4 h');
  });

  it('shows an unknown duration as a dash', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(Number.NaN)).toBe('—');
  });
});

describe(formatRate.name, () => {
  it('writes rates per second with sensible precision', () => {
    expect(formatRate(0)).toBe('0/s');
    expect(formatRate(0.44)).toBe('0.4/s');
    expect(formatRate(12.4)).toBe('12/s');
    expect(formatRate(1234)).toBe('1.2k/s');
    expect(formatRate(null)).toBe('—');
  });
});

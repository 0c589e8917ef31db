import { messagesHeld, reconcileIntervalMs } from './reconciler.service.js';

describe(reconcileIntervalMs.name, () => {
  it.each([
    [1, 1_000],
    [4, 2_000],
    [10, 5_000],
    [60, 30_000],
    [300, 30_000],
  ])('runs twice per bound of %i s, every %i ms, between once a second and once every 30 s', (afterSeconds, expected) => {
    expect(reconcileIntervalMs(afterSeconds)).toBe(expected);
  });
});

describe(messagesHeld.name, () => {
  it('counts the ready messages and a full prefetch window per consumer while the queue has a backlog', () => {
    expect(messagesHeld({ messages: 500, consumers: 3 }, 10)).toBe(530);
  });

  it('counts only the ready messages when nobody consumes', () => {
    expect(messagesHeld({ messages: 300, consumers: 0 }, 10)).toBe(300);
    expect(messagesHeld({ messages: 300, consumers: null }, 10)).toBe(300);
  });

  it('counts nothing for an empty queue, so a lost message cannot hide behind an idle consumer', () => {
    expect(messagesHeld({ messages: 0, consumers: 4 }, 10)).toBe(0);
  });
});

import type { Stats } from './api.js';
import { priorityOfQueue, ratesBetween, StatsHistory } from './stats-history.js';

/** Stats with the given counts (everything else 0) and queue waits. */
function stats(
  counts: Partial<Record<keyof Stats['tasks'], Partial<Record<'HIGH' | 'MEDIUM' | 'LOW', number>>>>,
  waits: [number, number, number] = [0, 0, 0],
): Stats {
  const tasks = {} as Stats['tasks'];
  for (const status of ['NEW', 'PENDING', 'IN_PROGRESS', 'RETRYING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const) {
    tasks[status] = { HIGH: 0, MEDIUM: 0, LOW: 0, ...counts[status] };
  }
  return {
    tasks,
    outbox: { backlog: 0, oldestAgeSeconds: 0 },
    queues: ['tasks.high', 'tasks.medium', 'tasks.low'].map((queue, i) => ({ queue, depth: 0, consumers: 1, oldestAgeSeconds: waits[i] })),
  };
}

describe(ratesBetween.name, () => {
  it('turns the change of counts between two polls into rates per second', () => {
    const before = { at: 0, stats: stats({ NEW: { HIGH: 2 }, COMPLETED: { HIGH: 10, LOW: 1 } }) };
    const after = { at: 2000, stats: stats({ NEW: { HIGH: 4 }, COMPLETED: { HIGH: 14, LOW: 1 }, FAILED: { MEDIUM: 1 } }, [0, 1.5, 0.2]) };

    const sut = ratesBetween(before, after);

    expect(sut.inByPriority).toEqual({ HIGH: 3, MEDIUM: 0.5, LOW: 0 });
    expect(sut.outByPriority).toEqual({ HIGH: 2, MEDIUM: 0.5, LOW: 0 });
    expect(sut.completed).toBe(2);
    expect(sut.failed).toBe(0.5);
    expect(sut.oldestWaitSeconds).toBe(1.5);
  });

  it('counts a count that fell (a retried failure, a retention delete) as no flow, not a negative rate', () => {
    const before = { at: 0, stats: stats({ FAILED: { LOW: 5 } }) };
    const after = { at: 1000, stats: stats({ FAILED: { LOW: 2 }, NEW: { LOW: 3 } }) };

    const sut = ratesBetween(before, after);

    expect(sut.failed).toBe(0);
    expect(sut.outByPriority.LOW).toBe(0);
  });
});

describe(StatsHistory.name, () => {
  it('keeps the polls of its window and the rates between them', () => {
    const sut = new StatsHistory(10_000);
    for (const at of [0, 3000, 6000, 9000, 12_000, 15_000]) sut.add({ at, stats: stats({ COMPLETED: { HIGH: at / 1000 } }) });

    const rates = sut.rates();

    expect(rates.map((r) => r.at)).toEqual([9000, 12_000, 15_000]);
    expect(rates.every((r) => r.completed === 1)).toBe(true);
  });

  it('ignores a poll older than the last one', () => {
    const sut = new StatsHistory();
    sut.add({ at: 5000, stats: stats({}) });
    sut.add({ at: 4000, stats: stats({ COMPLETED: { HIGH: 100 } }) });

    expect(sut.rates()).toEqual([]);
    expect(sut.latest?.at).toBe(5000);
  });
});

describe(priorityOfQueue.name, () => {
  it('maps the work queues to their priority and nothing else', () => {
    expect(priorityOfQueue('tasks.high')).toBe('HIGH');
    expect(priorityOfQueue('tasks.low')).toBe('LOW');
    expect(priorityOfQueue('tasks.dlq')).toBeNull();
  });
});

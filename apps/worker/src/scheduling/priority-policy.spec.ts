import { StrictPolicy, WeightedPolicy } from './priority-policy.js';

const QUEUES = ['tasks.high', 'tasks.medium', 'tasks.low'];
const rank = (queue: string) => QUEUES.indexOf(queue);
const short = (queue: string) => queue.slice('tasks.'.length, 'tasks.'.length + 1).toUpperCase();

/** Plays `turns` single slots against queues that always have messages, and returns who went, e.g. 'HHMHL…'. */
function play(sut: WeightedPolicy, turns: number, now = 0): string {
  let order = '';
  for (let i = 0; i < turns; i++) {
    const [first] = sut.plan(1, now);
    sut.taken(first.queue, 1, 100, now);
    order += short(first.queue);
  }
  return order;
}

describe(StrictPolicy.name, () => {
  it('asks every queue, highest first, for all the free slots, one ask at a time', () => {
    const sut = new StrictPolicy(QUEUES);

    expect(sut.oneAskAtATime).toBe(true);
    expect(sut.plan(3)).toEqual([
      { queue: 'tasks.high', count: 3 },
      { queue: 'tasks.medium', count: 3 },
      { queue: 'tasks.low', count: 3 },
    ]);
  });

  it('asks nothing without a free slot', () => {
    expect(new StrictPolicy(QUEUES).plan(0)).toEqual([]);
  });
});

describe(WeightedPolicy.name, () => {
  const weighted = (weights = [8, 3, 1], agingMs = 0, queues = QUEUES) => new WeightedPolicy(queues, weights, agingMs, rank, 0);

  it('gives each queue its weight in every round of turns, interleaved rather than in runs', () => {
    const sut = weighted();

    const order = play(sut, 12 * 5);

    for (let round = 0; round < 5; round++) {
      const turns = order.slice(round * 12, round * 12 + 12);
      expect(turns.split('').filter((q) => q === 'H')).toHaveLength(8);
      expect(turns.split('').filter((q) => q === 'M')).toHaveLength(3);
      expect(turns.split('').filter((q) => q === 'L')).toHaveLength(1);
    }
    expect(order).not.toMatch(/H{4}/);
  });

  it('is deterministic: the same turns in the same order every time', () => {
    expect(play(weighted(), 24)).toBe(play(weighted(), 24));
    expect(play(weighted(), 12)).toBe('HMHHLHMHHHMH');
  });

  it('breaks ties by priority', () => {
    const sut = weighted([1, 1, 1]);

    expect(play(sut, 6)).toBe('HMLHML');
  });

  it('shares several free slots by weight in one plan, then lets every queue fill up what another leaves, highest first', () => {
    const sut = weighted();

    const asks = sut.plan(12, 0);

    expect(asks.slice(0, 3)).toEqual([
      { queue: 'tasks.high', count: 8 },
      { queue: 'tasks.medium', count: 3 },
      { queue: 'tasks.low', count: 1 },
    ]);
    expect(asks.slice(3)).toEqual([
      { queue: 'tasks.high', count: 12 },
      { queue: 'tasks.medium', count: 12 },
      { queue: 'tasks.low', count: 12 },
    ]);
  });

  it('does not change its turns by planning: only what was taken counts', () => {
    const sut = weighted();
    sut.plan(12, 0);
    sut.plan(5, 0);

    expect(play(sut, 12)).toBe(play(weighted(), 12));
  });

  it('takes the credit of a queue found empty, so it does not come back with turns saved up', () => {
    const sut = weighted([1, 1, 1]);
    // LOW is empty for nine turns: HIGH and MEDIUM share them.
    for (let i = 0; i < 9; i++) {
      sut.taken('tasks.low', 0, 0, 0);
      const [first] = sut.plan(1, 0).filter((ask) => ask.queue !== 'tasks.low');
      sut.taken(first.queue, 1, 100, 0);
    }

    // Back with messages, LOW gets its third of the turns, not a run of them.
    const order = play(sut, 6);
    expect(order).not.toContain('LL');
    expect(order.split('').filter((q) => q === 'L')).toHaveLength(2);
  });

  describe('aging', () => {
    it('serves first a queue left waiting past the bound while it had messages, one message, then goes back to the turns', () => {
      const sut = weighted([8, 3, 1], 30_000);
      sut.taken('tasks.low', 1, 5, 0);
      sut.taken('tasks.high', 1, 100, 10_000);

      expect(sut.plan(1, 29_999)[0].queue).not.toBe('tasks.low');
      const asks = sut.plan(4, 30_000);

      expect(asks[0]).toEqual({ queue: 'tasks.low', count: 1 });
      expect(asks.slice(1, 3).map((ask) => ask.queue)).toContain('tasks.high');
    });

    it('serves the longest-waiting queue first when several are past the bound', () => {
      const sut = weighted([8, 3, 1], 1000);
      sut.taken('tasks.medium', 1, 3, 500);
      sut.taken('tasks.low', 1, 3, 200);

      expect(sut.plan(2, 5000).slice(0, 2)).toEqual([
        { queue: 'tasks.low', count: 1 },
        { queue: 'tasks.medium', count: 1 },
      ]);
    });

    it('does not age a queue that had nothing left, nor one served recently', () => {
      const sut = weighted([8, 3, 1], 1000);
      sut.taken('tasks.low', 1, 0, 0);
      sut.taken('tasks.medium', 1, 9, 4500);

      expect(sut.plan(1, 5000)).toEqual(expect.arrayContaining([{ queue: 'tasks.high', count: 1 }]));
      expect(sut.plan(1, 5000)[0].queue).toBe('tasks.high');
    });

    it('never ages with a bound of 0', () => {
      const sut = weighted([8, 3, 1], 0);
      sut.taken('tasks.low', 1, 5, 0);

      expect(sut.plan(1, 10_000_000)[0].queue).toBe('tasks.high');
    });
  });

  it('keeps the weights with the queues they were listed with, whatever the order of WORKER_QUEUES', () => {
    const sut = new WeightedPolicy(['tasks.low', 'tasks.high'], [3, 1], 0, rank, 0);

    const order = play(sut, 8);

    expect(order.split('').filter((q) => q === 'L')).toHaveLength(6);
    expect(order.split('').filter((q) => q === 'H')).toHaveLength(2);
    // Fill-up after the turns still goes highest priority first.
    expect(
      sut
        .plan(2, 0)
        .slice(-2)
        .map((ask) => ask.queue),
    ).toEqual(['tasks.high', 'tasks.low']);
  });

  it('refuses weights that do not match the queues', () => {
    expect(() => new WeightedPolicy(QUEUES, [8, 3], 0, rank, 0)).toThrow('one positive whole weight per queue');
    expect(() => new WeightedPolicy(QUEUES, [8, 0, 1], 0, rank, 0)).toThrow('one positive whole weight per queue');
  });
});

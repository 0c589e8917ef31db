import { jest } from '@jest/globals';
import { BatchGatherer, BatchResultMismatchError } from './batch-gatherer.js';
import type { ItemResult } from './group-commit.js';

/** A runBatch the test answers by hand: records each call's items. */
function controlledRun() {
  const calls: { items: number[]; answer: (results: readonly ItemResult<string>[]) => void; fail: (error: unknown) => void }[] = [];
  const run = (items: readonly number[]) =>
    new Promise<readonly ItemResult<string>[]>((resolve, reject) => {
      calls.push({ items: [...items], answer: resolve, fail: reject });
    });
  return { calls, run };
}

const ok = (value: string): ItemResult<string> => ({ ok: true, value });

describe(BatchGatherer.name, () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('runs a batch as soon as `size` items are gathered, without waiting for maxWaitMs', async () => {
    const { calls, run } = controlledRun();
    const sut = new BatchGatherer(3, 60_000, run);

    const results = [1, 2, 3].map((n) => sut.submit(n));
    expect(calls.map((c) => c.items)).toEqual([[1, 2, 3]]);
    calls[0].answer([ok('a'), ok('b'), ok('c')]);

    await expect(Promise.all(results)).resolves.toEqual(['a', 'b', 'c']);
    expect(sut.started).toBe(1);
  });

  it('runs what came within maxWaitMs of the first item when the batch does not fill', async () => {
    const { calls, run } = controlledRun();
    const sut = new BatchGatherer(10, 200, run);

    const first = sut.submit(1);
    jest.advanceTimersByTime(150);
    const second = sut.submit(2);
    expect(calls).toHaveLength(0);
    jest.advanceTimersByTime(50);

    expect(calls.map((c) => c.items)).toEqual([[1, 2]]);
    calls[0].answer([ok('one'), ok('two')]);
    await expect(Promise.all([first, second])).resolves.toEqual(['one', 'two']);
  });

  it('starts the next batch its own maxWaitMs after its own first item', () => {
    const { calls, run } = controlledRun();
    const sut = new BatchGatherer(2, 100, run);

    void sut.submit(1);
    void sut.submit(2);
    void sut.submit(3);
    expect(calls.map((c) => c.items)).toEqual([[1, 2]]);
    jest.advanceTimersByTime(99);
    expect(calls).toHaveLength(1);
    jest.advanceTimersByTime(1);

    expect(calls.map((c) => c.items)).toEqual([[1, 2], [3]]);
  });

  it('with maxWaitMs 0 runs together what arrived in the same turn', () => {
    const { calls, run } = controlledRun();
    const sut = new BatchGatherer(10, 0, run);

    void sut.submit(1);
    void sut.submit(2);
    jest.advanceTimersByTime(0);

    expect(calls.map((c) => c.items)).toEqual([[1, 2]]);
  });

  it('on flush (shutdown) runs what is gathered at once, and each later item without waiting', () => {
    const { calls, run } = controlledRun();
    const sut = new BatchGatherer(10, 60_000, run);

    void sut.submit(1);
    void sut.submit(2);
    sut.flush();
    expect(calls.map((c) => c.items)).toEqual([[1, 2]]);
    void sut.submit(3);

    expect(calls.map((c) => c.items)).toEqual([[1, 2], [3]]);
    expect(sut.pending).toBe(0);
  });

  it("settles each item with its own answer: one item's error leaves its neighbours' results", async () => {
    const { calls, run } = controlledRun();
    const sut = new BatchGatherer(3, 10, run);
    const bad = new Error('row 2 is invalid');

    const results = [1, 2, 3].map((n) => sut.submit(n));
    calls[0].answer([ok('a'), { ok: false, error: bad }, ok('c')]);

    await expect(results[0]).resolves.toBe('a');
    await expect(results[1]).rejects.toBe(bad);
    await expect(results[2]).resolves.toBe('c');
  });

  it('fails every item of a run that throws, with its error', async () => {
    const { calls, run } = controlledRun();
    const sut = new BatchGatherer(2, 10, run);
    const down = new Error('database down');

    const results = [1, 2].map((n) => sut.submit(n));
    calls[0].fail(down);

    await expect(results[0]).rejects.toBe(down);
    await expect(results[1]).rejects.toBe(down);
  });

  it('fails every item when the run answers a number of results other than its items', async () => {
    const { calls, run } = controlledRun();
    const sut = new BatchGatherer(2, 10, run);

    const results = [1, 2].map((n) => sut.submit(n));
    calls[0].answer([ok('only one')]);

    await expect(results[0]).rejects.toBeInstanceOf(BatchResultMismatchError);
    await expect(results[1]).rejects.toThrow('runBatch must return one result per item, in their order: got 1 results for 2 items');
  });

  it('refuses a size below one', () => {
    expect(() => new BatchGatherer(0, 10, controlledRun().run)).toThrow(RangeError);
  });
});

import { GroupCommit, type ItemResult } from './group-commit.js';

/** A batch write the test answers by hand: records each batch and waits until told to answer it. */
function controlledWrite<I>() {
  const calls: { items: I[]; answer: (results: ItemResult<string>[]) => void; fail: (error: unknown) => void }[] = [];
  const write = (items: readonly I[]) =>
    new Promise<readonly ItemResult<string>[]>((resolve, reject) => {
      calls.push({ items: [...items], answer: resolve, fail: reject });
    });
  return { calls, write };
}

const ok = (value: string): ItemResult<string> => ({ ok: true, value });
/** Lets queued microtasks and promise callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe(GroupCommit.name, () => {
  it('writes a lone item at once, in a batch of its own', async () => {
    const { calls, write } = controlledWrite<number>();
    const sut = new GroupCommit(write, 10);

    const result = sut.submit(1);
    await settle();
    calls[0].answer([ok('one')]);

    await expect(result).resolves.toBe('one');
    expect(calls.map((c) => c.items)).toEqual([[1]]);
  });

  it('puts items submitted in the same turn into one write', async () => {
    const { calls, write } = controlledWrite<number>();
    const sut = new GroupCommit(write, 10);

    const results = [1, 2, 3].map((n) => sut.submit(n));
    await settle();
    calls[0].answer([ok('a'), ok('b'), ok('c')]);

    await expect(Promise.all(results)).resolves.toEqual(['a', 'b', 'c']);
    expect(calls.map((c) => c.items)).toEqual([[1, 2, 3]]);
  });

  it('collects what arrives while a write is in flight into the next write, started when it answers', async () => {
    const { calls, write } = controlledWrite<number>();
    const sut = new GroupCommit(write, 10);

    const first = sut.submit(1);
    await settle();
    const later = [2, 3].map((n) => sut.submit(n));
    await settle();
    expect(calls).toHaveLength(1);
    expect(sut.waiting).toBe(2);

    calls[0].answer([ok('a')]);
    await settle();
    expect(calls.map((c) => c.items)).toEqual([[1], [2, 3]]);
    calls[1].answer([ok('b'), ok('c')]);

    await expect(first).resolves.toBe('a');
    await expect(Promise.all(later)).resolves.toEqual(['b', 'c']);
  });

  it('settles no item before the write that covers it answered', async () => {
    const { calls, write } = controlledWrite<number>();
    const sut = new GroupCommit(write, 10);
    let settled = false;

    void sut.submit(1).then(() => (settled = true));
    await settle();
    expect(settled).toBe(false);

    calls[0].answer([ok('a')]);
    await settle();
    expect(settled).toBe(true);
  });

  it('splits what waits into writes of at most maxBatch items', async () => {
    const { calls, write } = controlledWrite<number>();
    const sut = new GroupCommit(write, 2);

    const results = [1, 2, 3, 4, 5].map((n) => sut.submit(n));
    await settle();
    expect(calls.map((c) => c.items)).toEqual([[1, 2]]);
    calls[0].answer([ok('1'), ok('2')]);
    await settle();
    calls[1].answer([ok('3'), ok('4')]);
    await settle();
    calls[2].answer([ok('5')]);

    await expect(Promise.all(results)).resolves.toEqual(['1', '2', '3', '4', '5']);
    expect(calls.map((c) => c.items)).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('runs up to maxInFlight writes at once', async () => {
    const { calls, write } = controlledWrite<number>();
    const sut = new GroupCommit(write, 1, 2);

    const results = [1, 2, 3].map((n) => sut.submit(n));
    await settle();
    expect(calls.map((c) => c.items)).toEqual([[1], [2]]);
    calls[1].answer([ok('2')]);
    await settle();
    expect(calls.map((c) => c.items)).toEqual([[1], [2], [3]]);
    calls[0].answer([ok('1')]);
    calls[2].answer([ok('3')]);

    await expect(Promise.all(results)).resolves.toEqual(['1', '2', '3']);
  });

  it('fails every item of a write that throws, and goes on with the next batch', async () => {
    const { calls, write } = controlledWrite<number>();
    const sut = new GroupCommit(write, 10);
    const down = new Error('connection refused');

    const failing = Promise.allSettled([1, 2].map((n) => sut.submit(n)));
    await settle();
    const next = sut.submit(3);
    calls[0].fail(down);
    await settle();
    calls[1].answer([ok('c')]);

    await expect(failing).resolves.toEqual([
      { status: 'rejected', reason: down },
      { status: 'rejected', reason: down },
    ]);
    await expect(next).resolves.toBe('c');
  });

  it('fails only the item whose own result is an error; its neighbours get their values', async () => {
    const { calls, write } = controlledWrite<number>();
    const sut = new GroupCommit(write, 10);
    const refused = Object.assign(new Error('unsupported Unicode escape sequence'), { code: '22P05' });

    const results = Promise.allSettled([1, 2, 3].map((n) => sut.submit(n)));
    await settle();
    calls[0].answer([ok('a'), { ok: false, error: refused }, ok('c')]);

    await expect(results).resolves.toEqual([
      { status: 'fulfilled', value: 'a' },
      { status: 'rejected', reason: refused },
      { status: 'fulfilled', value: 'c' },
    ]);
  });

  it('fails every item of a write that answers a wrong number of results', async () => {
    const { calls, write } = controlledWrite<number>();
    const sut = new GroupCommit(write, 10);

    const results = Promise.allSettled([1, 2].map((n) => sut.submit(n)));
    await settle();
    calls[0].answer([ok('a')]);

    const settled = await results;
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect((settled[0] as PromiseRejectedResult).reason).toHaveProperty('message', 'a batch write answered 1 results for 2 items');
  });

  it('counts writes and the items they covered, and starts again after each count', async () => {
    const { calls, write } = controlledWrite<number>();
    const sut = new GroupCommit(write, 10);

    const results = [1, 2, 3].map((n) => sut.submit(n));
    await settle();
    calls[0].answer([ok('a'), ok('b'), ok('c')]);
    await Promise.all(results);

    expect(sut.takeCounts()).toEqual({ batches: 1, items: 3 });
    expect(sut.takeCounts()).toEqual({ batches: 0, items: 0 });
  });

  it.each([0, 1.5, -1])('refuses maxBatch %p', (maxBatch) => {
    expect(() => new GroupCommit(async () => [], maxBatch)).toThrow(RangeError);
  });
});

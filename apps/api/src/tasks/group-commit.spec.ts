import { GroupCommit, type GroupCommitOptions } from './group-commit.js';

/** A write whose calls the test sees and finishes one by one. */
class ControlledWrite {
  readonly calls: { items: string[]; finish: () => void; fail: (error: unknown) => void }[] = [];
  /** Items that make any write containing them fail with a data error. */
  poison = new Set<string>();

  readonly write = (items: string[]): Promise<string[]> =>
    new Promise((resolve, reject) => {
      this.calls.push({
        items,
        finish: () => {
          const bad = items.find((item) => this.poison.has(item));
          if (bad) reject(Object.assign(new Error(`refused ${bad}`), { code: '22023' }));
          else resolve(items.map((item) => `written:${item}`));
        },
        fail: reject,
      });
    });

  /** Finishes every call not finished yet, also those the finishing starts. */
  async finishAll(): Promise<void> {
    for (let done = 0; done < this.calls.length || (await settle(), done < this.calls.length); done++) {
      this.calls[done].finish();
      await settle();
    }
  }
}

const UNREACHABLE = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
const LONG_WINDOW = 60_000;

/** Lets timers of 0 ms, immediates and promise callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function groupCommit(write: ControlledWrite, options: Partial<GroupCommitOptions> = {}): GroupCommit<string, string> {
  return new GroupCommit(write.write, {
    windowMs: LONG_WINDOW,
    maxBatch: 100,
    maxInFlight: 1,
    isSharedFailure: (error) => error === UNREACHABLE,
    ...options,
  });
}

describe(GroupCommit.name, () => {
  it('writes a lone item at once, without waiting for the window', async () => {
    const write = new ControlledWrite();
    const sut = groupCommit(write, { windowMs: LONG_WINDOW });

    const answer = sut.submit('a');
    await settle();

    expect(write.calls.map((c) => c.items)).toEqual([['a']]);
    write.calls[0].finish();
    await expect(answer).resolves.toBe('written:a');
  });

  it('writes the items submitted in the same turn by one write, each answered with its own result', async () => {
    const write = new ControlledWrite();
    const sut = groupCommit(write);

    const answers = ['a', 'b', 'c'].map((item) => sut.submit(item));
    await settle();
    write.calls[0].finish();

    expect(write.calls.map((c) => c.items)).toEqual([['a', 'b', 'c']]);
    await expect(Promise.all(answers)).resolves.toEqual(['written:a', 'written:b', 'written:c']);
  });

  it('collects what arrives while a write is under way into the next write, which goes when that one ends', async () => {
    const write = new ControlledWrite();
    const sut = groupCommit(write, { maxInFlight: 1 });
    const first = sut.submit('a');
    await settle();

    const later = ['b', 'c', 'd'].map((item) => sut.submit(item));
    await settle();
    expect(write.calls).toHaveLength(1);
    write.calls[0].finish();
    await settle();

    expect(write.calls.map((c) => c.items)).toEqual([['a'], ['b', 'c', 'd']]);
    write.calls[1].finish();
    await expect(first).resolves.toBe('written:a');
    await expect(Promise.all(later)).resolves.toEqual(['written:b', 'written:c', 'written:d']);
  });

  it('sends a second batch when its window ends while the first is still being written, when two writes may run', async () => {
    const write = new ControlledWrite();
    const sut = groupCommit(write, { maxInFlight: 2, windowMs: 1 });
    void sut.submit('a');
    await settle();

    const later = sut.submit('b');
    await new Promise((resolve) => setTimeout(resolve, 20));

    expect(write.calls.map((c) => c.items)).toEqual([['a'], ['b']]);
    await write.finishAll();
    await expect(later).resolves.toBe('written:b');
  });

  it('never writes more than maxBatch items at once', async () => {
    const write = new ControlledWrite();
    const sut = groupCommit(write, { maxBatch: 2 });

    const answers = ['a', 'b', 'c', 'd', 'e'].map((item) => sut.submit(item));
    await write.finishAll();

    expect(write.calls.map((c) => c.items)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    await expect(Promise.all(answers)).resolves.toEqual(['written:a', 'written:b', 'written:c', 'written:d', 'written:e']);
  });

  it('writes each item again on its own when a batch fails, so only the item that caused it gets the error', async () => {
    const write = new ControlledWrite();
    write.poison.add('bad');
    const sut = groupCommit(write);

    const answers = ['a', 'bad', 'c'].map((item) =>
      sut.submit(item).then(
        (value) => ({ value }),
        (error: Error) => ({ error: error.message }),
      ),
    );
    await write.finishAll();

    await expect(Promise.all(answers)).resolves.toEqual([{ value: 'written:a' }, { error: 'refused bad' }, { value: 'written:c' }]);
    expect(write.calls.map((c) => c.items)).toEqual([['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
  });

  it('fails every item of the batch with the same error, without retrying, when the failure is shared (database unreachable)', async () => {
    const write = new ControlledWrite();
    const sut = groupCommit(write);

    const answers = ['a', 'b'].map((item) => sut.submit(item).catch((error: unknown) => error));
    await settle();
    write.calls[0].fail(UNREACHABLE);

    await expect(Promise.all(answers)).resolves.toEqual([UNREACHABLE, UNREACHABLE]);
    expect(write.calls).toHaveLength(1);
  });

  it('reports drained once every submitted item is answered', async () => {
    const write = new ControlledWrite();
    const sut = groupCommit(write);
    void sut.submit('a');
    let drained = false;
    const waiting = sut.drained().then(() => (drained = true));
    await settle();

    expect(drained).toBe(false);
    expect(sut.pending).toBe(1);
    await write.finishAll();
    await waiting;
    expect(sut.pending).toBe(0);
  });

  it('refuses options that could never write', () => {
    const write = new ControlledWrite();

    expect(() => groupCommit(write, { maxBatch: 0 })).toThrow(RangeError);
  });
});

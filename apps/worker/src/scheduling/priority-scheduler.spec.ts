import { PriorityScheduler } from './priority-scheduler.js';

interface Job {
  queue: string;
  name: string;
}

/** A promise settled by hand. */
class Deferred {
  readonly promise: Promise<void>;
  resolve!: () => void;
  reject!: (error: Error) => void;

  constructor() {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

const QUEUES = ['tasks.high', 'tasks.medium', 'tasks.low'];

const high = (name: string): Job => ({ queue: 'tasks.high', name });
const medium = (name: string): Job => ({ queue: 'tasks.medium', name });
const low = (name: string): Job => ({ queue: 'tasks.low', name });

/** Lets the scheduler's `.finally` callbacks run: every pending microtask runs before setImmediate fires. */
const flushPromises = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A scheduler whose jobs run until the test finishes (or fails) them by name; `limits`: per-kind concurrency, the kind being the name up to its dash. */
function schedulerWith(slots: number, limits?: Record<string, number>) {
  const started: string[] = [];
  const jobs = new Map<string, Deferred>();
  let running = 0;
  let mostAtOnce = 0;
  const sut = new PriorityScheduler<Job>(
    QUEUES,
    slots,
    async (job) => {
      started.push(job.name);
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      const deferred = new Deferred();
      jobs.set(job.name, deferred);
      try {
        await deferred.promise;
      } finally {
        running--;
      }
    },
    limits && { kindOf: (job) => job.name.split('-')[0], limits: new Map(Object.entries(limits)) },
  );
  return {
    sut,
    started,
    mostAtOnce: () => mostAtOnce,
    finish: async (name: string) => {
      jobs.get(name)!.resolve();
      await flushPromises();
    },
    fail: async (name: string) => {
      jobs.get(name)!.reject(new Error(`${name} failed`));
      await flushPromises();
    },
  };
}

describe(PriorityScheduler.name, () => {
  it('starts a job at once while a slot is free', () => {
    const { sut, started } = schedulerWith(2);

    sut.offer(low('low-1'));

    expect(started).toEqual(['low-1']);
    expect(sut.running).toBe(1);
  });

  it('never runs more than slots jobs at once', async () => {
    const { sut, started, finish, mostAtOnce } = schedulerWith(2);

    for (const name of ['a', 'b', 'c', 'd', 'e']) sut.offer(low(name));

    expect(started).toEqual(['a', 'b']);
    expect(sut.running).toBe(2);
    expect(sut.waitingCount).toBe(3);

    for (const name of ['a', 'b', 'c', 'd', 'e']) await finish(name);

    expect(started).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(mostAtOnce()).toBe(2);
    expect(sut.running).toBe(0);
  });

  it('starts the highest-priority waiting job when a slot frees, even if lower ones were offered first', async () => {
    const { sut, started, finish } = schedulerWith(1);
    sut.offer(low('low-1'));
    sut.offer(low('low-2'));
    sut.offer(medium('medium-1'));
    sut.offer(high('high-1'));

    await finish('low-1');
    expect(started).toEqual(['low-1', 'high-1']);

    await finish('high-1');
    expect(started).toEqual(['low-1', 'high-1', 'medium-1']);

    await finish('medium-1');
    expect(started).toEqual(['low-1', 'high-1', 'medium-1', 'low-2']);
  });

  it('starts the jobs of one queue in the order they were offered', async () => {
    const { sut, started, finish } = schedulerWith(1);
    sut.offer(medium('m-1'));
    sut.offer(medium('m-2'));
    sut.offer(medium('m-3'));

    await finish('m-1');
    await finish('m-2');

    expect(started).toEqual(['m-1', 'm-2', 'm-3']);
  });

  it('frees the slot of a job that failed', async () => {
    const { sut, started, fail } = schedulerWith(1);
    sut.offer(low('broken'));
    sut.offer(low('next'));

    await fail('broken');

    expect(started).toEqual(['broken', 'next']);
    expect(sut.running).toBe(1);
  });

  it('throws for a job of a queue it does not serve', () => {
    const sut = new PriorityScheduler<Job>(['tasks.high'], 1, async () => undefined);

    expect(() => sut.offer(low('elsewhere'))).toThrow("PriorityScheduler has no queue 'tasks.low'");
  });

  describe('stop', () => {
    it('returns the waiting jobs, highest priority first, and leaves none waiting', () => {
      const { sut } = schedulerWith(1);
      sut.offer(low('running'));
      sut.offer(low('low-1'));
      sut.offer(medium('medium-1'));
      sut.offer(high('high-1'));

      const handedBack = sut.stop();

      expect(handedBack.map((job) => job.name)).toEqual(['high-1', 'medium-1', 'low-1']);
      expect(sut.waitingCount).toBe(0);
      expect(sut.running).toBe(1);
    });

    it('starts no more jobs once stopped, even when a slot frees', async () => {
      const { sut, started, finish } = schedulerWith(1);
      sut.offer(low('running'));
      sut.offer(high('waiting'));
      sut.stop();

      await finish('running');
      const accepted = sut.offer(high('late'));
      await flushPromises();

      expect(accepted).toBe(false);
      expect(started).toEqual(['running']);
      expect(sut.running).toBe(0);
      expect(sut.waitingCount).toBe(0);
    });

    it('frees the slot of a run that throws synchronously', async () => {
      let calls = 0;
      const sut = new PriorityScheduler<Job>(QUEUES, 1, (job) => {
        calls++;
        if (job.name === 'throws') throw new Error('thrown before any promise');
        return Promise.resolve();
      });

      sut.offer(high('throws'));
      await flushPromises();
      sut.offer(high('next'));
      await flushPromises();

      expect(calls).toBe(2);
      expect(sut.running).toBe(0);
    });
  });

  describe('whenIdle', () => {
    it('resolves at once when nothing runs', async () => {
      const sut = new PriorityScheduler<Job>(QUEUES, 1, async () => undefined);

      await expect(sut.whenIdle()).resolves.toBeUndefined();
    });

    it('resolves only when every running job has finished', async () => {
      const { sut, finish } = schedulerWith(2);
      sut.offer(high('a'));
      sut.offer(low('b'));
      sut.stop();
      let idle = false;
      const whenIdle = sut.whenIdle().then(() => {
        idle = true;
      });

      await finish('a');
      expect(idle).toBe(false);

      await finish('b');
      await whenIdle;
      expect(idle).toBe(true);
    });
  });

  describe('with a concurrency limit per kind', () => {
    it('never runs more of a kind than its limit, and runs other kinds beside it', async () => {
      const { sut, started, finish } = schedulerWith(4, { email: 2 });

      for (const name of ['email-1', 'email-2', 'email-3', 'email-4', 'report-1']) sut.offer(medium(name));

      expect(started).toEqual(['email-1', 'email-2', 'report-1']);
      expect(sut.running).toBe(3);
      expect(sut.parkedCount).toBe(2);
      await finish('email-1');
      expect(started).toEqual(['email-1', 'email-2', 'report-1', 'email-3']);
      expect(sut.parkedCount).toBe(1);
    });

    it('does not count parked jobs against the free slots, up to slots of them', () => {
      const { sut } = schedulerWith(3, { email: 1 });

      sut.offer(medium('email-1'));
      sut.offer(medium('email-2'));
      expect(sut.free).toBe(2);
      sut.offer(medium('email-3'));
      sut.offer(medium('email-4'));
      // Three parked: as many as the slots, so nothing more is taken until one of them starts.
      expect(sut.parkedCount).toBe(3);
      expect(sut.free).toBe(0);
    });

    it('starts a parked job of a higher queue before a later one of its kind in a lower queue', async () => {
      const { sut, started, finish } = schedulerWith(4, { email: 1 });

      sut.offer(low('email-low'));
      sut.offer(low('email-low2'));
      sut.offer(high('email-high'));
      await finish('email-low');

      expect(started).toEqual(['email-low', 'email-high']);
    });

    it('hands back parked jobs on stop', () => {
      const { sut } = schedulerWith(2, { email: 1 });
      sut.offer(medium('email-1'));
      sut.offer(medium('email-2'));

      expect(sut.stop().map((job) => job.name)).toEqual(['email-2']);
    });

    it('limits nothing for a kind without a limit', () => {
      const { sut, started } = schedulerWith(3, { email: 1 });

      for (const name of ['sms-1', 'sms-2', 'sms-3']) sut.offer(medium(name));

      expect(started).toEqual(['sms-1', 'sms-2', 'sms-3']);
      expect(sut.parkedCount).toBe(0);
    });
  });
});

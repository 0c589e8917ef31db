import { jest } from '@jest/globals';
import type { TaskContext } from '../registry/task-handler.interface.js';
import { abortableDelay, SleepHandler } from './sleep.handler.js';

/** A context whose progress reports are recorded in `progress`. */
function sleepContext(signal: AbortSignal = new AbortController().signal): { context: TaskContext; progress: number[] } {
  const progress: number[] = [];
  const context: TaskContext = {
    taskId: '6f0c2d2e-52a7-4d0a-9a84-0f3f0e7d5c11',
    type: 'sleep',
    attempt: 1,
    maxAttempts: 4,
    correlationId: 'corr-sleep',
    signal,
    reportProgress: async (percent) => {
      progress.push(percent);
    },
  };
  return { context, progress };
}

describe(SleepHandler.name, () => {
  let sut: SleepHandler;

  beforeEach(() => {
    sut = new SleepHandler();
  });

  describe('on real timers', () => {
    it('resolves after a tiny ms, having slept at least that long', async () => {
      const { context } = sleepContext();

      const result = await sut.run({ ms: 2 }, context);

      expect(result.sleptMs).toBeGreaterThanOrEqual(2);
    });

    it('resolves at once for ms 0 without reporting progress', async () => {
      const { context, progress } = sleepContext();

      await expect(sut.run({ ms: 0 }, context)).resolves.toEqual({ sleptMs: expect.any(Number) });
      expect(progress).toEqual([]);
    });

    it("rejects with the signal's reason when the signal was already aborted", async () => {
      const controller = new AbortController();
      const cancelled = new Error('cancelled by the user');
      controller.abort(cancelled);
      const { context, progress } = sleepContext(controller.signal);

      await expect(sut.run({ ms: 50 }, context)).rejects.toBe(cancelled);
      expect(progress).toEqual([]);
    });

    it("rejects with the signal's reason for ms 0 when the signal was already aborted", async () => {
      const controller = new AbortController();
      const cancelled = new Error('cancelled before it started');
      controller.abort(cancelled);
      const { context } = sleepContext(controller.signal);

      await expect(sut.run({ ms: 0 }, context)).rejects.toBe(cancelled);
    });

    it("rejects with the signal's reason when aborted mid-sleep", async () => {
      const controller = new AbortController();
      const cancelled = new Error('cancelled by the user');
      const { context } = sleepContext(controller.signal);

      const sleeping = sut.run({ ms: 60_000 }, context);
      controller.abort(cancelled);

      await expect(sleeping).rejects.toBe(cancelled);
    });
  });

  describe('on fake timers', () => {
    beforeEach(() => {
      jest.useFakeTimers();
    });

    afterEach(() => {
      jest.useRealTimers();
    });

    it('reports progress about every tenth of the sleep and returns how long it slept', async () => {
      const { context, progress } = sleepContext();

      const sleeping = sut.run({ ms: 1000 }, context);
      await jest.advanceTimersByTimeAsync(500);

      expect(progress).toEqual([10, 20, 30, 40, 50]);

      await jest.advanceTimersByTimeAsync(500);

      await expect(sleeping).resolves.toEqual({ sleptMs: 1000 });
      expect(progress).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
    });

    it('reports no more often than every 100 ms for a short sleep', async () => {
      const { context, progress } = sleepContext();

      const sleeping = sut.run({ ms: 250 }, context);
      await jest.advanceTimersByTimeAsync(250);

      await expect(sleeping).resolves.toEqual({ sleptMs: 250 });
      expect(progress).toEqual([40, 80]);
    });
  });
});

describe(abortableDelay.name, () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('resolves once ms have passed, not before', async () => {
    let resolved = false;
    const delay = abortableDelay(100, new AbortController().signal).then(() => {
      resolved = true;
    });

    await jest.advanceTimersByTimeAsync(99);
    expect(resolved).toBe(false);

    await jest.advanceTimersByTimeAsync(1);
    await delay;
    expect(resolved).toBe(true);
  });

  it('rejects at once with the reason of an already aborted signal, and sets no timer', async () => {
    const controller = new AbortController();
    const shutdown = new Error('worker shutting down');
    controller.abort(shutdown);

    const delay = abortableDelay(100, controller.signal);

    expect(jest.getTimerCount()).toBe(0);
    await expect(delay).rejects.toBe(shutdown);
  });

  it("rejects with the signal's reason when aborted while waiting, and clears its timer", async () => {
    const controller = new AbortController();
    const timedOut = new Error('task timed out');

    const delay = abortableDelay(100, controller.signal);
    controller.abort(timedOut);

    await expect(delay).rejects.toBe(timedOut);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('stops listening to the signal once it has resolved', async () => {
    const signal = new AbortController().signal;
    const removeEventListener = jest.spyOn(signal, 'removeEventListener');

    const delay = abortableDelay(10, signal);
    await jest.advanceTimersByTimeAsync(10);
    await delay;

    expect(removeEventListener).toHaveBeenCalledWith('abort', expect.any(Function));
  });
});

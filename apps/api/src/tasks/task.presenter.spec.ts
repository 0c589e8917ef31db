import type { TaskRecord } from '#database';
import { TaskPriority, TaskStatus } from '#tasks';
import { decodeCursor } from './cursor.js';
import { presentEvents, presentPage, presentPolicy, presentStats, presentTask } from './task.presenter.js';

const createdAt = new Date('2026-11-25T17:41:02.123Z');
const task: TaskRecord = {
  id: '7d444840-9dc0-41d1-b245-5ffdce74fad2',
  type: 'sleep',
  title: 'Nap',
  description: null,
  priority: TaskPriority.HIGH,
  payload: { ms: 5 },
  status: TaskStatus.PENDING,
  result: null,
  error: null,
  attempts: 0,
  maxAttempts: 4,
  progress: null,
  runAt: null,
  nextRetryAt: new Date('2026-11-25T17:42:00.000Z'),
  correlationId: 'req-1',
  createdAt,
  updatedAt: createdAt,
  startedAt: null,
  completedAt: null,
};

describe(presentTask.name, () => {
  it('writes every time as an ISO string and keeps a missing time null', () => {
    const sut = presentTask(task);

    expect(sut).toMatchObject({ createdAt: '2026-11-25T17:41:02.123Z', nextRetryAt: '2026-11-25T17:42:00.000Z', runAt: null, startedAt: null });
  });
});

describe(presentPage.name, () => {
  it('turns the position after the last item into a cursor that reads back the same', () => {
    const next = { createdAt: '2026-11-25 17:41:02.123+00', id: task.id };

    const sut = presentPage({ items: [task], next });

    expect(sut.items).toEqual([presentTask(task)]);
    expect(decodeCursor(sut.nextCursor!)).toEqual(next);
  });

  it('gives a null cursor on the last page', () => {
    expect(presentPage({ items: [], next: null })).toEqual({ items: [], nextCursor: null });
  });
});

describe(presentEvents.name, () => {
  it('names the task and writes each time as an ISO string', () => {
    const sut = presentEvents(task.id, [
      { at: createdAt, status: TaskStatus.NEW, attempt: 0, worker: null, error: null, detail: 'written with its outbox row' },
    ]);

    expect(sut).toEqual({
      taskId: task.id,
      items: [{ at: '2026-11-25T17:41:02.123Z', status: TaskStatus.NEW, attempt: 0, worker: null, error: null, detail: 'written with its outbox row' }],
    });
  });
});

describe(presentStats.name, () => {
  const stats = {
    tasks: [{ status: TaskStatus.FAILED, priority: TaskPriority.LOW, count: 3 }],
    outbox: { backlog: 2, oldestSeconds: 1.23456 },
    oldestPendingSeconds: { [TaskPriority.HIGH]: 2.0004 },
  };

  it('counts every status and priority, 0 where no task has them', () => {
    const sut = presentStats(stats, []);

    expect(Object.keys(sut.tasks)).toHaveLength(Object.values(TaskStatus).length);
    expect(sut.tasks.FAILED).toEqual({ LOW: 3, MEDIUM: 0, HIGH: 0 });
    expect(sut.tasks.NEW).toEqual({ LOW: 0, MEDIUM: 0, HIGH: 0 });
  });

  it('rounds ages to the millisecond and gives each queue the oldest pending age of its priority', () => {
    const sut = presentStats(stats, [
      { queue: 'tasks.high', messages: 7, consumers: 1 },
      { queue: 'tasks.low', messages: null, consumers: null },
    ]);

    expect(sut.outbox).toEqual({ backlog: 2, oldestAgeSeconds: 1.235 });
    expect(sut.queues).toEqual([
      { queue: 'tasks.high', depth: 7, consumers: 1, oldestAgeSeconds: 2 },
      { queue: 'tasks.low', depth: null, consumers: null, oldestAgeSeconds: 0 },
    ]);
  });
});

describe(presentPolicy.name, () => {
  it('spells out the delay before each retry of a backoff, rounded onto the grid', () => {
    const sut = presentPolicy({
      maxAttempts: 5,
      retry: { backoff: 'exponential', initialDelaySeconds: 5, maxDelaySeconds: 60 },
      timeoutSeconds: 30,
      concurrency: 2,
      batch: { size: 2, maxWaitMs: 100 },
    });

    expect(sut).toEqual({
      maxAttempts: 5,
      retry: { backoff: 'exponential', initialDelaySeconds: 5, maxDelaySeconds: 60, delaysSeconds: [5, 10, 20, 40] },
      timeoutSeconds: 30,
      concurrency: 2,
      batch: { size: 2, maxWaitMs: 100 },
    });
  });

  it('shows the ladder with null backoff settings, its last step repeating', () => {
    const sut = presentPolicy({ maxAttempts: 4, retry: { backoff: 'ladder', delaysSeconds: [5, 30] }, timeoutSeconds: 300, concurrency: null, batch: null });

    expect(sut.retry).toEqual({ backoff: 'ladder', initialDelaySeconds: null, maxDelaySeconds: null, delaysSeconds: [5, 30, 30] });
  });

  it('lists no delay for a type with one attempt', () => {
    const sut = presentPolicy({
      maxAttempts: 1,
      retry: { backoff: 'fixed', initialDelaySeconds: 3, maxDelaySeconds: 3 },
      timeoutSeconds: 1,
      concurrency: null,
      batch: null,
    });

    expect(sut.retry.delaysSeconds).toEqual([]);
  });
});

import type { INestApplicationContext } from '@nestjs/common';
import request from 'supertest';
import { retryQueueName } from '#messaging';
import { MetricsService } from '#observability';
import { ReconcilerService } from '../../apps/relay/src/reconciler.service.js';
import { type ApiUnderTest, Suite, eventually } from './support/suite.js';

const BOUND_SECONDS = 1;
const RETRY_DELAY_SECONDS = 3;

/** The relay's reconciler on the real broker: a task whose message vanished is dispatched again, a task merely waiting is not. */
describe('reconciler', () => {
  let suite: Suite;
  let api: ApiUnderTest;
  let relay: INestApplicationContext;

  const create = async (body: Record<string, unknown>) => (await request(api.getHttpServer()).post('/api/v1/tasks').send(body).expect(201)).body;
  const createMany = async (count: number, body: Record<string, unknown>): Promise<string[]> => {
    const tasks = Array.from({ length: count }, (_, i) => ({ title: `task ${i}`, ...body }));
    return (await request(api.getHttpServer()).post('/api/v1/tasks/batch').send({ tasks }).expect(201)).body.tasks.map((t: { id: string }) => t.id);
  };
  const statuses = async (ids: string[]) =>
    (await suite.sql.query<{ status: string }>('SELECT status FROM tasks WHERE id = ANY($1)', [ids])).rows.map((r) => r.status);
  const redispatchRows = async (ids: string[]) =>
    (await suite.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE kind = 'redispatch' AND task_id = ANY($1)", [ids])).rows[0].n;
  const redispatchedByReconciler = async () =>
    (await relay.get(MetricsService).tasksRedispatched.get()).values.find((v) => v.labels.reason === 'reconciler')?.value ?? 0;
  const purge = async (queue: string) => {
    const channel = await suite.channel();
    await channel.purgeQueue(queue);
    await channel.close();
  };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  beforeAll(async () => {
    suite = await Suite.create('reconciler', { RECONCILE_AFTER_SECONDS: String(BOUND_SECONDS), RETRY_DELAYS_SECONDS: String(RETRY_DELAY_SECONDS) });
    api = await suite.startApi();
    relay = await suite.startRelay();
  });

  afterAll(async () => {
    await suite.teardown();
  });

  it('dispatches PENDING tasks again once the bound has passed after their queue was purged, and they complete', async () => {
    const ids = await createMany(5, { priority: 'MEDIUM' });
    await eventually(
      async () => (await statuses(ids)).every((s) => s === 'PENDING') && (await suite.queueDepth('tasks.medium')) === 5,
      10_000,
      'the tasks to be queued',
    );
    await purge('tasks.medium');

    await eventually(async () => (await redispatchRows(ids)) === 5, 10_000, 'a re-dispatch of each task');
    const worker = await suite.startWorker();
    try {
      await eventually(async () => (await statuses(ids)).every((s) => s === 'COMPLETED'), 15_000, 'the tasks to complete');
      const { rows } = await suite.sql.query<{ task_id: string; status: string; detail: string; waited: number }>(
        `SELECT e.task_id, e.status, e.detail, extract(epoch FROM e.at - p.at)::float AS waited
         FROM task_events e JOIN task_events p ON p.task_id = e.task_id AND p.detail = 'published to tasks.medium'
         WHERE e.task_id = ANY($1) AND e.detail LIKE 're-dispatched%'`,
        [ids],
      );
      // Each at least once; a message the new worker holds but has not claimed yet, when the
      // queue is empty, may get one spare copy, which its claim then skips.
      expect(new Set(rows.map((r) => r.task_id))).toEqual(new Set(ids));
      for (const row of rows) {
        expect(row).toMatchObject({ status: 'PENDING', detail: 're-dispatched: its message was not in tasks.medium' });
        expect(row.waited).toBeGreaterThanOrEqual(BOUND_SECONDS);
      }
      const runs = await suite.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM task_events WHERE task_id = ANY($1) AND status = 'IN_PROGRESS'", [ids]);
      expect(runs.rows[0].n).toBe(5);
    } finally {
      await suite.stop(worker);
    }
  });

  it('dispatches a RETRYING task again when its retry message was purged from its delay queue, and it completes', async () => {
    const worker = await suite.startWorker();
    try {
      const task = await create({ title: 'fails once', type: 'fail', payload: { times: 1 } });
      await eventually(async () => (await suite.queueDepth(retryQueueName(RETRY_DELAY_SECONDS))) === 1, 10_000, 'the retry in its delay queue');
      await purge(retryQueueName(RETRY_DELAY_SECONDS));
      expect(await suite.taskStatus(task.id)).toBe('RETRYING');

      await eventually(async () => (await suite.taskStatus(task.id)) === 'COMPLETED', 20_000, 'the task to complete');
      const { rows } = await suite.sql.query<{ status: string; attempt: number; detail: string }>(
        'SELECT status, attempt, detail FROM task_events WHERE task_id = $1 ORDER BY id',
        [task.id],
      );
      expect(rows.map((e) => [e.status, e.attempt])).toEqual([
        ['NEW', 0],
        ['PENDING', 0],
        ['IN_PROGRESS', 1],
        ['RETRYING', 1],
        ['RETRYING', 1],
        ['IN_PROGRESS', 2],
        ['COMPLETED', 2],
      ]);
      expect(rows[4].detail).toBe('re-dispatched: its message was not in tasks.medium');
    } finally {
      await suite.stop(worker);
    }
  });

  it('leaves 300 tasks that wait in their queue with no consumer, however long they wait', async () => {
    const before = await redispatchedByReconciler();
    const ids = await createMany(300, { priority: 'LOW' });
    try {
      await eventually(async () => (await suite.queueDepth('tasks.low')) === 300, 15_000, '300 messages in tasks.low');
      await eventually(async () => (await statuses(ids)).every((s) => s === 'PENDING'), 10_000, 'the tasks to be PENDING');
      // Several runs of the relay's own timer past the bound, and one more by hand.
      await sleep((BOUND_SECONDS + 3) * 1000);
      await relay.get(ReconcilerService).reconcile();

      expect(await redispatchRows(ids)).toBe(0);
      expect(await redispatchedByReconciler()).toBe(before);
      expect(await suite.queueDepth('tasks.low')).toBe(300);
    } finally {
      await suite.sql.query('DELETE FROM tasks WHERE id = ANY($1)', [ids]);
      await purge('tasks.low');
    }
  });

  it('leaves the LOW tasks that wait in their queue while a busy worker runs HIGH work', async () => {
    // One worker, two slots: it runs HIGH sleeps for about 6 s while 20 LOW tasks wait in
    // tasks.low, all older than the bound (a worker holds no message it cannot start, so they
    // all wait in the queue).
    const high = await createMany(8, { priority: 'HIGH', type: 'sleep', payload: { ms: 1500 } });
    const low = await createMany(20, { priority: 'LOW' });
    await eventually(async () => (await statuses([...high, ...low])).every((s) => s === 'PENDING'), 10_000, 'the tasks to be queued');
    const worker = await suite.startWorker({ WORKER_QUEUES: 'tasks.high,tasks.low', WORKER_PREFETCH: '2' });
    try {
      await eventually(async () => (await statuses(high)).every((s) => s === 'COMPLETED'), 30_000, 'every HIGH task to complete');
      // The LOW tasks waited their turn with tasks.low never empty: none was dispatched again.
      expect(await redispatchRows(low)).toBe(0);
      await eventually(async () => (await statuses(low)).every((s) => s === 'COMPLETED'), 30_000, 'every LOW task to complete');
      // While the worker takes them, a message taken but not claimed yet can look lost to a
      // reconciler run falling in that moment: its spare copy is skipped, the task runs once.
      const { rows } = await suite.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM task_events WHERE task_id = ANY($1) AND status = 'IN_PROGRESS'", [
        low,
      ]);
      expect(rows[0].n).toBe(low.length);
    } finally {
      await suite.stop(worker);
    }
  });

  it('dispatches again as many tasks as their queue lost, not the ones still in it', async () => {
    const ids = await createMany(10, { priority: 'HIGH' });
    await eventually(async () => (await suite.queueDepth('tasks.high')) === 10, 10_000, '10 messages in tasks.high');
    await eventually(async () => (await statuses(ids)).every((s) => s === 'PENDING'), 10_000, 'the tasks to be PENDING');
    const before = await redispatchedByReconciler();
    // The three oldest messages vanish; seven stay queued with no consumer.
    const channel = await suite.channel();
    for (let i = 0; i < 3; i++) expect(await channel.get('tasks.high', { noAck: true })).not.toBe(false);
    await channel.close();

    await eventually(async () => (await redispatchRows(ids)) === 3, 10_000, 'three re-dispatches');
    await sleep((BOUND_SECONDS + 2) * 1000);
    expect(await redispatchRows(ids)).toBe(3);
    expect(await redispatchedByReconciler()).toBe(before + 3);

    const worker = await suite.startWorker();
    try {
      await eventually(async () => (await statuses(ids)).every((s) => s === 'COMPLETED'), 20_000, 'every task to complete');
    } finally {
      await suite.stop(worker);
    }
  });
});

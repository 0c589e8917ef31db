import { hostname } from 'node:os';
import request from 'supertest';
import { type ApiUnderTest, Suite, eventually } from './support/suite.js';
import { taskClient } from './support/task-client.js';

interface Started {
  id: string;
  priority: string;
  startedAt: Date;
  completedAt: Date | null;
}

/**
 * Priorities across a pool of workers and the two priority modes, on the real broker: a busy
 * worker holds no message it cannot start (so a HIGH task goes to an idle worker, not behind
 * the busy one's LOW tasks), strict mode runs LOW only once HIGH is drained, weighted mode lets
 * LOW through at its share under a HIGH flood.
 */
describe('priorities across a pool of workers', () => {
  let suite: Suite;
  let api: ApiUnderTest;

  const { create, until } = taskClient(() => api, 30_000);
  const createMany = async (count: number, body: Record<string, unknown>): Promise<string[]> => {
    const tasks = Array.from({ length: count }, (_, i) => ({ title: `task ${i}`, ...body }));
    return (await request(api.getHttpServer()).post('/api/v1/tasks/batch').send({ tasks }).expect(201)).body.tasks.map((t: { id: string }) => t.id);
  };
  const statuses = async (ids: string[]) =>
    (await suite.sql.query<{ status: string }>('SELECT status FROM tasks WHERE id = ANY($1)', [ids])).rows.map((r) => r.status);
  const allAre = (ids: string[], status: string, timeoutMs: number) =>
    eventually(async () => (await statuses(ids)).every((s) => s === status), timeoutMs, `${ids.length} tasks to be ${status}`);
  const started = async (ids: string[]): Promise<Started[]> =>
    (
      await suite.sql.query<Started>(
        'SELECT id, priority, started_at AS "startedAt", completed_at AS "completedAt" FROM tasks WHERE id = ANY($1) ORDER BY started_at',
        [ids],
      )
    ).rows;
  /** The worker (hostname:pid) whose claim started each attempt of these tasks. */
  const claimedBy = async (ids: string[]): Promise<string[]> =>
    (
      await suite.sql.query<{ worker: string }>(
        `SELECT split_part(worker, ':', 1) || ':' || split_part(worker, ':', 2) AS worker
           FROM task_events WHERE task_id = ANY($1) AND status = 'IN_PROGRESS' ORDER BY at`,
        [ids],
      )
    ).rows.map((r) => r.worker);

  beforeAll(async () => {
    suite = await Suite.create('pool');
    api = await suite.startApi();
    await suite.startRelay();
  });

  afterEach(async () => {
    await suite.killProcesses();
  });

  afterAll(async () => {
    await suite.teardown();
  });

  it('starts every HIGH task on the idle worker at once, none held by a worker busy with LOW tasks', async () => {
    // A serves all three queues with two slots; B serves only tasks.high and is idle.
    const a = await suite.startProcess('worker', { WORKER_PREFETCH: '2' });
    const b = await suite.startProcess('worker', { WORKER_QUEUES: 'tasks.high', WORKER_PREFETCH: '6' });
    const workerA = `${hostname()}:${a.pid}`;
    const workerB = `${hostname()}:${b.pid}`;

    const lows = [
      await create({ title: 'long low 1', type: 'sleep', priority: 'LOW', payload: { ms: 4000 } }),
      await create({ title: 'long low 2', type: 'sleep', priority: 'LOW', payload: { ms: 4000 } }),
    ].map((t) => t.id as string);
    await allAre(lows, 'IN_PROGRESS', 15_000);
    expect(await claimedBy(lows)).toEqual([workerA, workerA]);

    const highs: string[] = [];
    for (let i = 0; i < 6; i++) highs.push((await create({ title: `urgent ${i}`, type: 'sleep', priority: 'HIGH', payload: { ms: 300 } })).id);
    for (const id of highs) await until(id, 'COMPLETED');
    await allAre(lows, 'COMPLETED', 15_000);

    // Each HIGH task ran once, on B: A held none of them (a message A held would have run on A
    // after its LOW tasks, or gone back to the queue and been started a second time).
    expect(await claimedBy(highs)).toEqual(highs.map(() => workerB));
    const lowsDone = Math.min(...(await started(lows)).map((t) => t.completedAt!.getTime()));
    for (const task of await started(highs)) expect(task.startedAt.getTime()).toBeLessThan(lowsDone);
  });

  describe('under a flood of HIGH tasks, more than the worker can run', () => {
    /** 40 HIGH tasks of 150 ms and 3 LOW ones, all queued before one worker with two slots starts. */
    async function flood(env: Record<string, string>) {
      const highs = await createMany(40, { type: 'sleep', priority: 'HIGH', payload: { ms: 150 } });
      const lows = await createMany(3, { type: 'noop', priority: 'LOW' });
      await allAre([...highs, ...lows], 'PENDING', 15_000);
      await suite.startProcess('worker', { WORKER_PREFETCH: '2', ...env });
      await allAre([...highs, ...lows], 'COMPLETED', 40_000);
      const rows = await started([...highs, ...lows]);
      const lastHighStart = Math.max(...rows.filter((t) => t.priority === 'HIGH').map((t) => t.startedAt.getTime()));
      const lowStarts = rows.filter((t) => t.priority === 'LOW').map((t) => t.startedAt.getTime());
      return { lastHighStart, lowStarts };
    }

    it('strict: starts no LOW task until every HIGH task has started', async () => {
      const { lastHighStart, lowStarts } = await flood({ WORKER_PRIORITY_MODE: 'strict' });

      for (const start of lowStarts) expect(start).toBeGreaterThanOrEqual(lastHighStart);
    });

    it('weighted (8,3,1): runs every LOW task while the HIGH backlog still waits', async () => {
      const { lastHighStart, lowStarts } = await flood({ WORKER_PRIORITY_MODE: 'weighted', WORKER_PRIORITY_WEIGHTS: '8,3,1' });

      for (const start of lowStarts) expect(start).toBeLessThan(lastHighStart);
    });
  });
});

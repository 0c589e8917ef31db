import request from 'supertest';
import { TcpProxy } from './support/tcp-proxy.js';
import { allTerminal, audit } from './support/audit.js';
import { Suite, eventually } from './support/suite.js';

/**
 * The guarantees of documents/failure-handling.md with the failures injected for real: apps run
 * as processes and are killed with SIGKILL, stopped with SIGTERM, paused with SIGSTOP; RabbitMQ
 * and Postgres are cut off through TCP proxies. After each, the audit counts like a Jepsen checker: nothing accepted is lost,
 * every terminal status is written once, queues end empty, nothing is left in the outbox.
 */
describe('faults', () => {
  let suite: Suite;

  beforeAll(async () => {
    // A short lease: a killed or paused worker's tasks are taken over about 3 s later.
    suite = await Suite.create('faults', { WORKER_PREFETCH: '4', TASK_LEASE_SECONDS: '3' });
  });

  afterEach(async () => {
    // Each scenario starts its own processes; none may help the next one.
    await suite.killProcesses();
  });

  afterAll(async () => {
    await suite.teardown();
  });

  /** Creates tasks through an API process, `count` at a time in batches. */
  const createTasks = async (apiUrl: string, count: number, task: Record<string, unknown>): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < count; i += 500) {
      const n = Math.min(500, count - i);
      const res = await request(apiUrl)
        .post('/api/v1/tasks/batch')
        .send({ tasks: Array.from({ length: n }, (_, j) => ({ title: `t${i + j}`, ...task })) })
        .expect(201);
      ids.push(...res.body.tasks.map((t: { id: string }) => t.id));
    }
    return ids;
  };

  const expectClean = async (ids: string[], options: { duplicatesAllowed: boolean }) => {
    const result = await eventually(
      async () => {
        const a = await audit(suite, ids);
        return Object.values(a.queueDepths).every((d) => d === 0) && a.unpublishedOutboxRows === 0 ? a : undefined;
      },
      20_000,
      'queues and outbox to drain',
    );
    expect(result.lost).toEqual([]);
    expect(result.terminalWrittenTwice).toEqual([]);
    if (!options.duplicatesAllowed) expect(result.duplicatedRuns).toBe(0);
    return result;
  };

  it('loses nothing when a worker is killed with SIGKILL mid-task: another takes its tasks over', async () => {
    const api = await suite.startProcess('api');
    await suite.startProcess('relay');
    const doomed = await suite.startProcess('worker');
    const ids = await createTasks(api.url, 12, { type: 'sleep', payload: { ms: 1500 } });

    const { rows } = await eventually(
      async () => {
        const r = await suite.sql.query("SELECT id FROM tasks WHERE id = ANY($1) AND status = 'IN_PROGRESS'", [ids]);
        return r.rows.length > 0 ? r : undefined;
      },
      15_000,
      'a task to be running',
    );
    await doomed.kill();
    expect(rows.length).toBeGreaterThan(0);

    await suite.startProcess('worker');
    await allTerminal(suite, ids, 60_000);
    const result = await expectClean(ids, { duplicatesAllowed: true });
    expect(result.byStatus).toEqual({ COMPLETED: 12 });
    // The tasks the dead worker held ran again, as a take-over: counted, and allowed here.
    const { rows: takeovers } = await suite.sql.query("SELECT count(*)::int AS n FROM task_events WHERE task_id = ANY($1) AND detail LIKE 'taken over%'", [
      ids,
    ]);
    expect(takeovers[0].n).toBeGreaterThan(0);
  });

  it('loses nothing when the relay is killed with SIGKILL mid-batch under load; duplicates are skipped', async () => {
    const api = await suite.startProcess('api');
    const relay = await suite.startProcess('relay', { OUTBOX_BATCH_SIZE: '20' });
    await suite.startProcess('worker', { WORKER_PREFETCH: '20' });
    const ids = await createTasks(api.url, 1500, { type: 'noop' });
    await eventually(
      async () => {
        const r = await suite.sql.query('SELECT count(*)::int AS n FROM outbox WHERE task_id = ANY($1) AND published_at IS NOT NULL', [ids]);
        return r.rows[0].n > 0;
      },
      15_000,
      'the relay to publish',
    );
    await relay.kill();
    await suite.startProcess('relay', { OUTBOX_BATCH_SIZE: '20' });

    await allTerminal(suite, ids, 60_000);
    const result = await expectClean(ids, { duplicatesAllowed: false });
    expect(result.byStatus).toEqual({ COMPLETED: 1500 });
  });

  it('keeps accepting tasks while RabbitMQ is cut off, says so in /ready, and drains the backlog once it is back', async () => {
    const proxy = new TcpProxy(5672);
    await proxy.open();
    try {
      const amqp = `amqp://guest:guest@127.0.0.1:${proxy.port}/${suite.vhost}`;
      const api = await suite.startProcess('api', { RABBITMQ_URL: amqp });
      const relay = await suite.startProcess('relay', { RABBITMQ_URL: amqp });
      await suite.startProcess('worker', { RABBITMQ_URL: amqp });
      await eventually(async () => (await request(relay.url).get('/ready')).status === 200, 15_000, 'the relay to be ready');
      const before = await createTasks(api.url, 50, { type: 'noop' });

      await proxy.close();
      const ready = await eventually(
        async () => {
          const res = await request(relay.url).get('/ready');
          return res.status === 503 ? res.body : undefined;
        },
        20_000,
        '/ready to report the broker down',
      );
      expect(ready.failed).toEqual(['rabbitmq']);
      const during = await createTasks(api.url, 50, { type: 'noop' });
      expect(await suite.taskStatus(during[0])).toBe('NEW');

      await proxy.open();
      const ids = [...before, ...during];
      await allTerminal(suite, ids, 60_000);
      const result = await expectClean(ids, { duplicatesAllowed: true });
      expect(result.byStatus).toEqual({ COMPLETED: 100 });
    } finally {
      await proxy.close();
    }
  });

  it('answers 503 while Postgres is unreachable for the API, writes nothing half, and serves again once it is back', async () => {
    const proxy = new TcpProxy(5432);
    await proxy.open();
    try {
      const api = await suite.startProcess('api', { POSTGRES_PORT: String(proxy.port) });
      await request(api.url).post('/api/v1/tasks').send({ title: 'before' }).expect(201);
      const { rows: before } = await suite.sql.query('SELECT (SELECT count(*) FROM tasks)::int AS tasks, (SELECT count(*) FROM outbox)::int AS outbox');

      await proxy.close();
      const res = await request(api.url).post('/api/v1/tasks').send({ title: 'during' });
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE' });
      const ready = await request(api.url).get('/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.failed).toContain('postgres');
      const { rows: after } = await suite.sql.query('SELECT (SELECT count(*) FROM tasks)::int AS tasks, (SELECT count(*) FROM outbox)::int AS outbox');
      expect(after).toEqual(before);

      await proxy.open();
      await eventually(async () => (await request(api.url).post('/api/v1/tasks').send({ title: 'after' })).status === 201, 20_000, 'the API to write again');
    } finally {
      await proxy.close();
    }
  });

  it('on SIGTERM finishes work in flight, hands back what it has not started, and exits 0', async () => {
    const api = await suite.startProcess('api');
    await suite.startProcess('relay');
    const worker = await suite.startProcess('worker', { WORKER_PREFETCH: '2', SHUTDOWN_TIMEOUT_SECONDS: '20' });
    const ids = await createTasks(api.url, 8, { type: 'sleep', payload: { ms: 800 } });
    await eventually(
      async () => {
        const r = await suite.sql.query("SELECT count(*)::int AS n FROM tasks WHERE id = ANY($1) AND status = 'IN_PROGRESS'", [ids]);
        return r.rows[0].n > 0;
      },
      15_000,
      'a task to be running',
    );

    const exit = await worker.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    const { rows } = await suite.sql.query("SELECT count(*)::int AS n FROM tasks WHERE id = ANY($1) AND status = 'IN_PROGRESS'", [ids]);
    expect(rows[0].n).toBe(0);

    await suite.startProcess('worker');
    await allTerminal(suite, ids, 30_000);
    const result = await expectClean(ids, { duplicatesAllowed: false });
    expect(result.byStatus).toEqual({ COMPLETED: 8 });
  });

  it('on SIGTERM past SHUTDOWN_TIMEOUT_SECONDS aborts running tasks, hands them back, and exits 0', async () => {
    const api = await suite.startProcess('api');
    await suite.startProcess('relay');
    const worker = await suite.startProcess('worker', { SHUTDOWN_TIMEOUT_SECONDS: '1' });
    const ids = await createTasks(api.url, 2, { type: 'sleep', payload: { ms: 4000 } });
    await eventually(
      async () => {
        const r = await suite.sql.query("SELECT count(*)::int AS n FROM tasks WHERE id = ANY($1) AND status = 'IN_PROGRESS'", [ids]);
        return r.rows[0].n === 2;
      },
      15_000,
      'both tasks to be running',
    );

    expect(await worker.stop()).toEqual({ code: 0, signal: null });
    await suite.startProcess('worker');
    await allTerminal(suite, ids, 30_000);
    const result = await expectClean(ids, { duplicatesAllowed: true });
    expect(result.byStatus).toEqual({ COMPLETED: 2 });
  });

  it('fences a worker paused with SIGSTOP past its lease: the one that took over wins, the resumed one writes nothing', async () => {
    const env = { TASK_TIMEOUT_SECONDS: '2' };
    const api = await suite.startProcess('api', env);
    await suite.startProcess('relay', env);
    const paused = await suite.startProcess('worker', env);
    const [id] = await createTasks(api.url, 1, { type: 'sleep', payload: { ms: 1500 } });
    await eventually(async () => (await suite.taskStatus(id)) === 'IN_PROGRESS', 15_000, 'the task to be running');

    paused.signal('SIGSTOP');
    try {
      await suite.startProcess('worker', env);
      // The paused worker renews nothing: once its lease (3 s) has expired, the sweeper releases
      // the task or the redelivered copy (the broker drops the paused connection) takes it over.
      await eventually(async () => (await suite.taskStatus(id)) === 'COMPLETED', 40_000, 'the task to complete elsewhere');
    } finally {
      paused.signal('SIGCONT');
    }
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const { rows } = await suite.sql.query("SELECT status, worker FROM task_events WHERE task_id = $1 AND status = 'COMPLETED'", [id]);
    expect(rows).toHaveLength(1);
    expect(rows[0].worker).not.toContain(`:${paused.pid}`);
    expect(await suite.taskStatus(id)).toBe('COMPLETED');
  });
});

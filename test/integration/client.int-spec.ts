import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  ConflictProblem,
  type DeadLetter,
  ForbiddenProblem,
  NotFoundProblem,
  RateLimitedProblem,
  type Task,
  TaskServiceClient,
  TaskServiceProblem,
  UnauthorizedProblem,
  ValidationProblem,
} from '#client';
import { type ApiUnderTest, eventually, Suite } from './support/suite.js';

/** A real api process may take long to start on a machine busy with other suites; this waits, it decides nothing. */
const START_TIMEOUT_MS = 45_000;

/**
 * The typed client of libs/client against a running api (listening on a port, reached through
 * the global fetch), with a relay and a worker so tasks finish: every call, idempotency keys,
 * paging across several pages, the dead-letter queue (read, replay, purge), and each kind of
 * problem as its typed exception.
 */
describe('the typed client against a running api', () => {
  const KEY = 'client-suite-key-0123456789';
  const READ_ONLY_KEY = 'client-suite-read-only-key-0123456789';
  let suite: Suite;
  let client: TaskServiceClient;
  let baseUrl: string;
  let securedUrl: string;
  /** Every URL the suite's client fetched, in order. */
  const fetched: string[] = [];

  const farAway = () => new Date(Date.now() + 7 * 24 * 3600_000).toISOString();
  const unique = (label: string) => `${label} ${randomUUID().slice(0, 8)}`;
  const listen = async (api: ApiUnderTest) => {
    await api.app.listen(0, '127.0.0.1');
    return `http://127.0.0.1:${(api.getHttpServer().address() as AddressInfo).port}`;
  };
  const caught = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected the call to be refused');
      },
      (error: unknown) => error,
    );

  beforeAll(async () => {
    suite = await Suite.create('client', { RETRY_DELAYS_SECONDS: '1' });
    baseUrl = await listen(await suite.startApi());
    securedUrl = await listen(await suite.startApi({ API_KEYS: KEY, API_READ_ONLY_KEYS: READ_ONLY_KEY }));
    await suite.startRelay();
    await suite.startWorker();
    client = new TaskServiceClient({
      baseUrl,
      fetch: (input, init) => {
        fetched.push(input instanceof Request ? input.url : input.toString());
        return fetch(input, init);
      },
    });
  });

  afterAll(async () => {
    await suite?.teardown();
  });

  it('creates a task, and with the same Idempotency-Key and body gets the same task back: one row', async () => {
    const key = `client-${randomUUID()}`;
    const input = { type: 'noop', title: unique('idempotent'), runAt: farAway() };

    const first = await client.create(input, { idempotencyKey: key, requestId: 'client-req-1' });
    const replayed = await client.create(input, { idempotencyKey: key });

    expect(first).toMatchObject({ title: input.title, status: 'NEW', correlationId: 'client-req-1' });
    expect(replayed.id).toBe(first.id);
    const { rows } = await suite.sql.query('SELECT count(*)::int AS n FROM tasks WHERE title = $1', [input.title]);
    expect(rows[0].n).toBe(1);

    const reused = await caught(client.create({ ...input, title: unique('other body') }, { idempotencyKey: key }));
    expect(reused).toBeInstanceOf(ConflictProblem);
    expect(reused).toMatchObject({ status: 409, code: 'IDEMPOTENCY_KEY_REUSED', kind: 'conflict' });
  });

  it('creates a batch in input order, and gets each task', async () => {
    const titles = [unique('batch a'), unique('batch b'), unique('batch c')];
    const tasks = await client.createBatch(titles.map((title) => ({ title, runAt: farAway(), priority: 'HIGH' as const })));
    expect(tasks.map((t) => t.title)).toEqual(titles);
    for (const task of tasks) expect(await client.get(task.id)).toMatchObject({ id: task.id, title: task.title, priority: 'HIGH', status: 'NEW' });
  });

  it('waits for a task to finish and returns it with its result', async () => {
    const task = await client.create({ type: 'sleep', title: unique('wait'), payload: { ms: 50 } });
    const done = await client.waitFor(task.id, { until: 'terminal', timeoutMs: 30_000, intervalMs: 50 });
    expect(done).toMatchObject({ id: task.id, status: 'COMPLETED', progress: 100, attempts: 1 });
    expect(done.completedAt).not.toBeNull();
  });

  it('cancels a task that has not started, and a second cancel is a ConflictProblem', async () => {
    const task = await client.create({ title: unique('cancel'), runAt: farAway() });
    expect(await client.cancel(task.id)).toMatchObject({ id: task.id, status: 'CANCELLED' });
    const again = await caught(client.cancel(task.id));
    expect(again).toBeInstanceOf(ConflictProblem);
    expect(again).toMatchObject({ code: 'TASK_ALREADY_FINISHED' });
  });

  it('retries a failed task: back at NEW with attempts from 0, and it runs again', async () => {
    const task = await client.create({ type: 'fail', title: unique('retry'), payload: { message: 'always' }, maxAttempts: 1 });
    const failed = await client.waitFor(task.id, { until: ['FAILED'], timeoutMs: 30_000, intervalMs: 50 });
    expect(failed).toMatchObject({ status: 'FAILED', attempts: 1, error: expect.stringContaining('always') });

    const retried = await client.retry(task.id);
    expect(retried).toMatchObject({ id: task.id, status: 'NEW', attempts: 0, error: null });

    const again = await client.waitFor(task.id, { until: 'terminal', timeoutMs: 30_000, intervalMs: 50 });
    expect(again).toMatchObject({ status: 'FAILED', attempts: 1 });
    const { items } = await client.events(task.id);
    expect(items.filter((e) => e.status === 'FAILED')).toHaveLength(2);

    const completed = await client.waitFor((await client.create({ title: unique('not retryable') })).id, { until: 'terminal', intervalMs: 50 });
    const refused = await caught(client.retry(completed.id));
    expect(refused).toBeInstanceOf(ConflictProblem);
    expect(refused).toMatchObject({ code: 'TASK_NOT_RETRYABLE' });
  });

  it('lists every matching task across several pages, each once, newest first', async () => {
    const type = 'sleep';
    const created = await client.createBatch(
      Array.from({ length: 5 }, (_, i) => ({ type, title: unique(`page ${i}`), priority: 'LOW' as const, payload: { ms: 1 }, runAt: farAway() })),
    );
    const before = fetched.length;

    const listed: Task[] = [];
    for await (const task of client.list({ type, priority: 'LOW', status: ['NEW'], limit: 2 })) listed.push(task);

    expect(listed.map((t) => t.id).sort()).toEqual(created.map((t) => t.id).sort());
    const pages = fetched.slice(before);
    expect(pages).toHaveLength(3);
    expect(pages.slice(1).every((url) => new URL(url).searchParams.has('cursor'))).toBe(true);
    const order = listed.map((t) => `${t.createdAt} ${t.id}`);
    expect(order).toEqual([...order].sort().reverse());
  });

  it('reads the stats and the task types', async () => {
    const done = await client.create({ title: unique('counted'), priority: 'HIGH' });
    await client.waitFor(done.id, { until: 'terminal', intervalMs: 50 });
    const stats = await client.stats();
    expect(stats.tasks.COMPLETED.HIGH).toBeGreaterThan(0);
    expect(stats.queues.map((q) => q.queue)).toEqual(expect.arrayContaining(['tasks.high', 'tasks.medium', 'tasks.low']));
    expect((await client.taskTypes()).map((t) => t.type)).toEqual(expect.arrayContaining(['noop', 'sleep', 'fail', 'http.request']));
  });

  it('throws each refusal as its typed problem: 404, 400 with its fields, 401 with a wrong key', async () => {
    const missing = await caught(client.get(randomUUID()));
    expect(missing).toBeInstanceOf(NotFoundProblem);
    expect(missing).toMatchObject({ status: 404, type: '/problems/not-found', kind: 'not-found', requestId: expect.any(String) });

    const badId = await caught(client.get('not-a-uuid'));
    expect(badId).toBeInstanceOf(ValidationProblem);

    const invalid = await caught(client.create({ title: '', priority: 'URGENT' as never }));
    expect(invalid).toBeInstanceOf(ValidationProblem);
    expect(invalid).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect((invalid as ValidationProblem).errors.map((e) => e.field).sort()).toEqual(['priority', 'title']);

    const wrongKey = await caught(new TaskServiceClient({ baseUrl: securedUrl, apiKey: 'not-the-key-0123456789' }).stats());
    expect(wrongKey).toBeInstanceOf(UnauthorizedProblem);
    expect(wrongKey).toMatchObject({ status: 401, kind: 'unauthorized' });
    const noKey = await caught(new TaskServiceClient({ baseUrl: securedUrl }).taskTypes());
    expect(noKey).toBeInstanceOf(UnauthorizedProblem);
    expect((await new TaskServiceClient({ baseUrl: securedUrl, apiKey: KEY }).taskTypes()).length).toBeGreaterThan(0);
  });

  describe('the dead-letter queue', () => {
    /** Tasks of the `fail` type that fail for good on their first attempt, and the time before they were created. */
    const failForGood = async (count: number) => {
      const since = new Date();
      const tasks = await client.createBatch(
        Array.from({ length: count }, (_, i) => ({ type: 'fail', title: unique(`dead ${i}`), payload: { permanent: true, message: 'client dlq' } })),
      );
      for (const task of tasks) await client.waitFor(task.id, { until: ['FAILED'], timeoutMs: 30_000, intervalMs: 50 });
      return { ids: tasks.map((t) => t.id), since };
    };
    const inProgressRuns = async (id: string) => (await client.events(id)).items.filter((e) => e.status === 'IN_PROGRESS').length;

    it('reads what failed for good, grouped and paged, and replays a failed task: it runs again; a task that is not FAILED is skipped', async () => {
      const { ids, since } = await failForGood(3);
      const completed = await client.waitFor((await client.create({ title: unique('not failed') })).id, { until: 'terminal', intervalMs: 50 });

      const summary = await client.dlq.summary({ type: ['fail'], reason: 'permanent-error', since });
      expect(summary.groups).toEqual([expect.objectContaining({ type: 'fail', reason: 'permanent-error', count: 3 })]);
      expect(summary.total).toBe(3);
      expect(summary.queue.name).toBe('tasks.dlq');

      const before = fetched.length;
      const listed: DeadLetter[] = [];
      for await (const entry of client.dlq.list({ type: 'fail', since, limit: 2 })) listed.push(entry);
      expect(fetched.length - before).toBe(2);
      expect(listed.map((d) => d.task.id).sort()).toEqual([...ids].sort());
      expect(listed.every((d) => d.reason === 'permanent-error' && d.task.status === 'FAILED')).toBe(true);
      expect(await client.dlq.get(ids[0])).toMatchObject({ reason: 'permanent-error', task: { id: ids[0], status: 'FAILED', attempts: 1 } });
      expect(await caught(client.dlq.get(completed.id))).toBeInstanceOf(NotFoundProblem);

      const result = await client.dlq.replay({ ids: [ids[0], completed.id] });

      expect(result).toEqual({ replayed: 1, taskIds: [ids[0]], skipped: [{ id: completed.id, status: 'COMPLETED' }] });
      const again = await client.waitFor(ids[0], { until: ['FAILED'], timeoutMs: 30_000, intervalMs: 50 });
      expect(again).toMatchObject({ status: 'FAILED', attempts: 1 });
      expect(await inProgressRuns(ids[0])).toBe(2);
      expect(await inProgressRuns(ids[1])).toBe(1);

      // A filter, as lists and a Date: the tasks of this test (all FAILED again), and only those, each run once more.
      const byFilter = await client.dlq.replay({ type: ['fail'], reason: ['permanent-error', 'timeout'], since });
      expect([...byFilter.taskIds].sort()).toEqual([...ids].sort());
      for (const id of ids) {
        const runs = id === ids[0] ? 3 : 2;
        await eventually(async () => (await client.status(id)).status === 'FAILED' && (await inProgressRuns(id)) === runs, 30_000, `task ${id} to run again`);
      }
      expect((await client.get(completed.id)).status).toBe('COMPLETED');
    });

    it('purges the copies in tasks.dlq and keeps the FAILED tasks listed', async () => {
      const { ids } = await failForGood(2);
      // Each failure for good writes its copy to the outbox with the FAILED status; wait until the relay has published every one.
      const failures = async () => (await suite.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM task_events WHERE status = 'FAILED'`)).rows[0].n;
      const copies = await eventually(
        async () => {
          const depth = await suite.queueDepth('tasks.dlq');
          return depth >= (await failures()) && depth;
        },
        30_000,
        'every dead-letter copy to reach tasks.dlq',
      );

      const purged = await client.dlq.purge();

      expect(purged.purged).toBe(copies);
      expect(await suite.queueDepth('tasks.dlq')).toBe(0);
      expect((await client.dlq.summary()).queue.messages).toBe(0);
      for (const id of ids) expect(await client.dlq.get(id)).toMatchObject({ reason: 'permanent-error', task: { id, status: 'FAILED' } });
    });

    it('refuses replay and purge with a read-only key as a ForbiddenProblem, writing nothing, and lets it read', async () => {
      const { ids } = await failForGood(1);
      const readOnly = new TaskServiceClient({ baseUrl: securedUrl, apiKey: READ_ONLY_KEY });
      const outbox = async () => (await suite.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox')).rows[0].n;
      const before = await outbox();

      const replay = await caught(readOnly.dlq.replay({ ids }));
      const purge = await caught(readOnly.dlq.purge());

      for (const refused of [replay, purge]) {
        expect(refused).toBeInstanceOf(ForbiddenProblem);
        expect(refused).toBeInstanceOf(TaskServiceProblem);
        expect(refused).toMatchObject({ status: 403, kind: 'forbidden', type: '/problems/forbidden', code: 'API_KEY_READ_ONLY' });
      }
      expect(await outbox()).toBe(before);
      expect(await readOnly.dlq.get(ids[0])).toMatchObject({ reason: 'permanent-error', task: { id: ids[0], status: 'FAILED' } });
      expect((await readOnly.dlq.summary({ type: 'fail' })).total).toBeGreaterThan(0);
    });
  });

  it('throws 429 as RateLimitedProblem with the seconds of Retry-After', async () => {
    // A real process: @nestjs/throttler loads only outside Jest's module loader.
    const proc = await suite.startProcess('api', { RATE_LIMIT_MAX: '2', RATE_LIMIT_WINDOW_SECONDS: '3600' }, START_TIMEOUT_MS);
    const limited = new TaskServiceClient({ baseUrl: proc.url });
    await limited.taskTypes();
    await limited.taskTypes();
    const refused = await caught(limited.taskTypes());
    expect(refused).toBeInstanceOf(RateLimitedProblem);
    expect(refused).toBeInstanceOf(TaskServiceProblem);
    expect(refused).toMatchObject({ status: 429, kind: 'rate-limited', retryAfterSeconds: expect.any(Number) });
    expect((refused as RateLimitedProblem).retryAfterSeconds).toBeGreaterThan(0);
  }, 90_000);
});

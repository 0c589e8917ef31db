import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  ConflictProblem,
  NotFoundProblem,
  RateLimitedProblem,
  type Task,
  TaskServiceClient,
  TaskServiceProblem,
  UnauthorizedProblem,
  ValidationProblem,
} from '#client';
import { type ApiUnderTest, Suite } from './support/suite.js';

/** A real api process may take long to start on a machine busy with other suites; this waits, it decides nothing. */
const START_TIMEOUT_MS = 45_000;

/**
 * The typed client of libs/client against a running api (listening on a port, reached through
 * the global fetch), with a relay and a worker so tasks finish: every call, idempotency keys,
 * paging across several pages, and each kind of problem as its typed exception.
 */
describe('the typed client against a running api', () => {
  const KEY = 'client-suite-key-0123456789';
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
    securedUrl = await listen(await suite.startApi({ API_KEYS: KEY }));
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

import { randomUUID } from 'node:crypto';
import type { AppProcess } from './support/app-process.js';
import { sampleSum, scrape } from './support/prometheus-text.js';
import { Suite, eventually } from './support/suite.js';
import { TcpProxy } from './support/tcp-proxy.js';

const LEASE_SECONDS = 3;

/**
 * Each metric of documents/observability.md moves when its event happens, read from the real
 * apps' `/metrics` (api, relay and worker as processes on the real PostgreSQL and RabbitMQ).
 * The tests run in order and share the apps; each compares a value with the one read before
 * its event.
 */
describe('metrics on /metrics', () => {
  let suite: Suite;
  let api: AppProcess;
  let relay: AppProcess;
  let worker: AppProcess;

  /** The sum of the samples of `name` with `labels` on `app`'s /metrics; 0 when there is none. */
  const value = async (app: AppProcess, name: string, labels: Record<string, string> = {}) => sampleSum((await scrape(app.url)).text, name, labels) ?? 0;
  /** Waits until the metric reads `expected` (the relay's scrape-time gauges are cached for a second). */
  const until = async (app: AppProcess, name: string, labels: Record<string, string>, expected: (v: number) => boolean, what: string) =>
    eventually(async () => expected(await value(app, name, labels)), 20_000, what);

  const create = async (body: Record<string, unknown>): Promise<{ id: string }> => {
    const response = await fetch(`${api.url}/api/v1/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(response.status).toBe(201);
    return (await response.json()) as { id: string };
  };
  const statusIs = (id: string, status: string) => eventually(async () => (await suite.taskStatus(id)) === status, 20_000, `task ${id} to be ${status}`);

  beforeAll(async () => {
    suite = await Suite.create('metrics', { TASK_LEASE_SECONDS: String(LEASE_SECONDS), RECONCILE_AFTER_SECONDS: '1', RETRY_DELAYS_SECONDS: '1' });
    [api, relay, worker] = await Promise.all([suite.startProcess('api'), suite.startProcess('relay'), suite.startProcess('worker')]);
  });

  afterAll(async () => {
    await suite.teardown();
  });

  it('api: times each request by method, route pattern and status code, with no id in a label', async () => {
    const id = randomUUID();
    const byId = { method: 'GET', route: '/api/v1/tasks/:id', status_code: '404' };
    const unmatched = { method: 'GET', route: 'unmatched', status_code: '404' };
    const before = {
      byId: await value(api, 'http_request_duration_seconds_count', byId),
      unmatched: await value(api, 'http_request_duration_seconds_count', unmatched),
    };

    expect((await fetch(`${api.url}/api/v1/tasks/${id}`)).status).toBe(404);
    expect((await fetch(`${api.url}/no/such/${id}`)).status).toBe(404);

    await until(api, 'http_request_duration_seconds_count', byId, (v) => v === before.byId + 1, 'the request by route pattern');
    expect(await value(api, 'http_request_duration_seconds_count', unmatched)).toBe(before.unmatched + 1);
    expect(await value(api, 'http_request_duration_seconds_bucket', { ...byId, le: '+Inf' })).toBe(before.byId + 1);
    const { status, text, contentType } = await scrape(api.url);
    expect(status).toBe(200);
    expect(contentType).toContain('text/plain');
    expect(text).not.toContain(id);
  });

  it('create, publish, run: tasks_created_total on the api, the batch and its confirm on the relay, the outcome, run and wait time on the worker', async () => {
    const labels = { type: 'noop', priority: 'HIGH' };
    const read = async () => ({
      created: await value(api, 'tasks_created_total', labels),
      batches: await value(relay, 'outbox_batches_total'),
      published: await value(relay, 'outbox_rows_published_total', { kind: 'dispatch' }),
      confirms: await value(relay, 'outbox_publish_confirm_duration_seconds_count'),
      notified: await value(relay, 'outbox_relay_wakeups_total', { cause: 'notify' }),
      polled: await value(relay, 'outbox_relay_wakeups_total', { cause: 'poll' }),
      completed: await value(worker, 'worker_task_outcomes_total', { ...labels, outcome: 'COMPLETED' }),
      runs: await value(worker, 'worker_task_run_duration_seconds_count', labels),
      waits: await value(worker, 'worker_task_wait_duration_seconds_count', labels),
    });
    const before = await read();

    const task = await create({ title: 'counted', type: 'noop', priority: 'HIGH' });
    await statusIs(task.id, 'COMPLETED');

    const after = await eventually(
      async () => {
        const now = await read();
        return now.completed === before.completed + 1 && now.polled > before.polled ? now : null;
      },
      20_000,
      'the outcome on the worker',
    );
    expect(after.created).toBe(before.created + 1);
    expect(after.published).toBe(before.published + 1);
    expect(after.confirms).toBe(before.confirms + 1);
    expect(after.batches).toBe(before.batches + 1);
    // The relay was idle: the insert's NOTIFY woke it.
    expect(after.notified).toBeGreaterThan(before.notified);
    expect(after.runs).toBe(before.runs + 1);
    expect(after.waits).toBe(before.waits + 1);
  });

  it('a failed attempt with attempts left: RETRYING, a retry counted and its message published, then COMPLETED; waited once, ran twice', async () => {
    const labels = { type: 'fail', priority: 'LOW' };
    const read = async () => ({
      retrying: await value(worker, 'worker_task_outcomes_total', { ...labels, outcome: 'RETRYING' }),
      completed: await value(worker, 'worker_task_outcomes_total', { ...labels, outcome: 'COMPLETED' }),
      retries: await value(worker, 'worker_task_retries_total', labels),
      runs: await value(worker, 'worker_task_run_duration_seconds_count', labels),
      waits: await value(worker, 'worker_task_wait_duration_seconds_count', labels),
      retryRows: await value(relay, 'outbox_rows_published_total', { kind: 'retry' }),
    });
    const before = await read();

    const task = await create({ title: 'fails once', type: 'fail', priority: 'LOW', payload: { times: 1 } });
    await statusIs(task.id, 'COMPLETED');

    const after = await eventually(
      async () => {
        const now = await read();
        return now.completed === before.completed + 1 ? now : null;
      },
      20_000,
      'the completion on the worker',
    );
    expect(after.retrying).toBe(before.retrying + 1);
    expect(after.retries).toBe(before.retries + 1);
    expect(after.runs).toBe(before.runs + 2);
    expect(after.waits).toBe(before.waits + 1);
    expect(after.retryRows).toBe(before.retryRows + 1);
  });

  it('a task that fails for good: FAILED, dead-lettered with its reason, and the tasks.dlq depth on the relay grows', async () => {
    const labels = { type: 'fail', priority: 'MEDIUM' };
    const dlq = { queue: 'tasks.dlq' };
    const before = {
      failed: await value(worker, 'worker_task_outcomes_total', { ...labels, outcome: 'FAILED' }),
      deadLettered: await value(worker, 'worker_tasks_dead_lettered_total', { ...labels, reason: 'permanent-error' }),
      dlqDepth: await value(relay, 'tasks_queue_messages_ready', dlq),
    };
    try {
      const task = await create({ title: 'doomed', type: 'fail', priority: 'MEDIUM', payload: { permanent: true } });
      await statusIs(task.id, 'FAILED');

      await until(worker, 'worker_task_outcomes_total', { ...labels, outcome: 'FAILED' }, (v) => v === before.failed + 1, 'FAILED on the worker');
      expect(await value(worker, 'worker_tasks_dead_lettered_total', { ...labels, reason: 'permanent-error' })).toBe(before.deadLettered + 1);
      await until(relay, 'tasks_queue_messages_ready', dlq, (v) => v === before.dlqDepth + 1, 'the DLQ depth to grow by one');
    } finally {
      await suite.drainQueue('tasks.dlq');
    }
  });

  it('worker_tasks_in_flight counts a running handler; a cancel while it runs counts CANCELLED', async () => {
    const cancelled = { type: 'sleep', priority: 'MEDIUM', outcome: 'CANCELLED' };
    const before = await value(worker, 'worker_task_outcomes_total', cancelled);
    const task = await create({ title: 'sleeps', type: 'sleep', payload: { ms: 60_000 } });

    await until(worker, 'worker_tasks_in_flight', {}, (v) => v === 1, 'one handler in flight');
    expect((await fetch(`${api.url}/api/v1/tasks/${task.id}`, { method: 'DELETE' })).status).toBe(202);
    await statusIs(task.id, 'CANCELLED');

    await until(worker, 'worker_tasks_in_flight', {}, (v) => v === 0, 'no handler in flight');
    expect(await value(worker, 'worker_task_outcomes_total', cancelled)).toBe(before + 1);
  });

  it('with no worker: the depth, no consumers and the age of the oldest message of the queue; the reconciler re-dispatches a vanished message', async () => {
    const low = { queue: 'tasks.low' };
    await worker.stop();
    await until(relay, 'tasks_queue_consumers', low, (v) => v === 0, 'no consumer on tasks.low');
    const redispatched = await value(relay, 'tasks_redispatched_total', { reason: 'reconciler' });

    const task = await create({ title: 'waits', type: 'noop', priority: 'LOW' });
    await statusIs(task.id, 'PENDING');
    await until(relay, 'tasks_queue_messages_ready', low, (v) => v === 1, 'one message in tasks.low');
    await until(relay, 'tasks_queue_oldest_message_age_seconds', low, (v) => v > 0, 'the age of the oldest message to show');

    const channel = await suite.channel();
    await channel.purgeQueue('tasks.low');
    await channel.close();
    await until(relay, 'tasks_redispatched_total', { reason: 'reconciler' }, (v) => v === redispatched + 1, 'a re-dispatch by the reconciler');

    worker = await suite.startProcess('worker');
    await statusIs(task.id, 'COMPLETED');
    await until(relay, 'tasks_queue_oldest_message_age_seconds', low, (v) => v === 0, 'no waiting message');
    await until(relay, 'tasks_queue_consumers', low, (v) => v === 1, 'the new worker consuming tasks.low');
  });

  it('a worker killed mid-task: the lease sweeper re-dispatches its task', async () => {
    const expired = { reason: 'lease-expired' };
    const before = await value(relay, 'tasks_redispatched_total', expired);
    const task = await create({ title: 'orphaned', type: 'sleep', priority: 'HIGH', payload: { ms: 60_000 } });
    await statusIs(task.id, 'IN_PROGRESS');

    await worker.kill();
    await until(relay, 'tasks_redispatched_total', expired, (v) => v === before + 1, 'a re-dispatch by the lease sweeper');

    // The next worker takes it over and finds the cancel request: the test leaves nothing running.
    expect((await fetch(`${api.url}/api/v1/tasks/${task.id}`, { method: 'DELETE' })).status).toBe(202);
    worker = await suite.startProcess('worker');
    await statusIs(task.id, 'CANCELLED');
  });

  it('outbox_rows_pending and the age of the oldest row grow while the relay cannot publish, and drain once it can; the reconnect wakes it', async () => {
    await relay.stop();
    const proxy = new TcpProxy(5672);
    const port = await proxy.reservePort();
    await proxy.open();
    const cutOff = await suite.startProcess('relay', { RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${port}/${suite.vhost}` });
    try {
      await until(cutOff, 'outbox_rows_pending', {}, (v) => v === 0, 'an empty outbox');
      await until(cutOff, 'tasks_queue_consumers', { queue: 'tasks.high' }, (v) => v === 1, 'the relay to reach the broker');
      const reconnects = await value(cutOff, 'outbox_relay_wakeups_total', { cause: 'broker' });
      await proxy.close();
      await eventually(
        async () => sampleSum((await scrape(cutOff.url)).text, 'tasks_queue_consumers', { queue: 'tasks.high' }) === undefined,
        20_000,
        'the relay to lose the broker',
      );

      const tasks = await Promise.all([1, 2, 3].map((i) => create({ title: `stuck ${i}`, type: 'noop' })));
      await until(cutOff, 'outbox_rows_pending', {}, (v) => v === 3, 'three rows pending');
      await until(cutOff, 'outbox_oldest_pending_age_seconds', {}, (v) => v > 0, 'the oldest row to age');

      await proxy.open();
      await until(cutOff, 'outbox_rows_pending', {}, (v) => v === 0, 'the outbox to drain');
      expect(await value(cutOff, 'outbox_oldest_pending_age_seconds')).toBe(0);
      expect(await value(cutOff, 'outbox_relay_wakeups_total', { cause: 'broker' })).toBeGreaterThan(reconnects);
      for (const task of tasks) await statusIs(task.id, 'COMPLETED');
    } finally {
      await cutOff.stop();
      await proxy.close();
    }
    relay = await suite.startProcess('relay');
  });
});

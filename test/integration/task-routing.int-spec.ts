import type { INestApplicationContext } from '@nestjs/common';
import type { Channel } from 'amqplib';
import request from 'supertest';
import { TaskStatusMachine } from '#tasks';
import type { AppProcess } from './support/app-process.js';
import { DEFAULT_POOL_TYPES, ROUTING_HANDLERS } from './support/routing-handlers.js';
import { type ApiUnderTest, eventually, Suite } from './support/suite.js';
import { taskClient } from './support/task-client.js';

/** An event as a consumer receives it. */
interface ReceivedEvent {
  routingKey: string;
  messageId: string;
  correlationId: string;
  headers: Record<string, unknown>;
  body: {
    version: number;
    eventId: string;
    taskId: string;
    type: string;
    status: string;
    result: unknown;
    error: string | null;
    attempts: number;
    maxAttempts: number;
    priority: string;
    correlationId: string;
    createdAt: string;
    startedAt: string | null;
    finishedAt: string;
  };
}

const EVENTS_QUEUE = 'routing-test.events';
const REPORT_POOL = { WORKER_QUEUES: 'reports.high,reports.medium,reports.low', WORKER_TASK_TYPES: 'report.build,report.mail' };
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Queue groups, type-scoped workers and task events, on the real Postgres and RabbitMQ: a
 * reports pool (WORKER_QUEUES=reports.*, WORKER_TASK_TYPES=report.build,report.mail) beside a
 * default worker that registers every other type. Each worker lacks the other's handlers, so a
 * message routed to the wrong queue fails its task ("no handler is registered") instead of
 * completing. A test queue bound to `tasks.events` with `#` receives every event.
 */
describe('task routing: queue groups, type-scoped workers, task events', () => {
  let suite: Suite;
  let channel: Channel;
  let apiOff: ApiUnderTest;
  let apiOn: ApiUnderTest;
  let relay: INestApplicationContext | undefined;
  const received: ReceivedEvent[] = [];
  const off = taskClient(() => apiOff, 30_000);
  const on = taskClient(() => apiOn, 30_000);

  /** Everything the events queue holds now, added to `received`. */
  const collect = async (): Promise<ReceivedEvent[]> => {
    for (;;) {
      const message = await channel.get(EVENTS_QUEUE, { noAck: true });
      if (!message) return received;
      received.push({
        routingKey: message.fields.routingKey,
        messageId: String(message.properties.messageId),
        correlationId: String(message.properties.correlationId),
        headers: message.properties.headers ?? {},
        body: JSON.parse(message.content.toString()) as ReceivedEvent['body'],
      });
    }
  };
  const eventsOf = async (taskId: string) => (await collect()).filter((e) => e.body.taskId === taskId);
  /** Waits for `count` events of the task (then for the outbox to hold nothing unpublished of it) and returns them. */
  const eventsFor = async (taskId: string, count = 1) => {
    await eventually(async () => (await eventsOf(taskId)).length >= count, 20_000, `${count} event(s) of task ${taskId}`);
    await eventually(async () => (await unpublishedEvents(taskId)) === 0, 20_000, `the event rows of ${taskId} to be published`);
    return eventsOf(taskId);
  };
  const unpublished = async (ids: string[]) =>
    (await suite.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE task_id = ANY($1) AND published_at IS NULL', [ids])).rows[0].n;
  const unpublishedEvents = async (id: string) =>
    (await suite.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE task_id = $1 AND kind = 'event' AND published_at IS NULL", [id])).rows[0]
      .n;
  const eventRows = async (ids: string[]) =>
    (await suite.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE task_id = ANY($1) AND kind = 'event'", [ids])).rows[0].n;
  const outboxRoutes = async (id: string) =>
    (
      await suite.sql.query<{ kind: string; exchange: string; routing_key: string }>(
        'SELECT kind, exchange, routing_key FROM outbox WHERE task_id = $1 ORDER BY id',
        [id],
      )
    ).rows.map((r) => `${r.kind} ${r.exchange} ${r.routing_key}`);

  beforeAll(async () => {
    suite = await Suite.create('routing');
    channel = await suite.channel();
    // A consumer's own queue, bound to every event (the exchange declared as every app declares it).
    await channel.assertExchange('tasks.events', 'topic', { durable: true });
    await channel.assertQueue(EVENTS_QUEUE, { durable: true });
    await channel.bindQueue(EVENTS_QUEUE, 'tasks.events', '#');
    apiOff = await suite.startApi({ TASK_EVENTS: 'off' }, ROUTING_HANDLERS);
    apiOn = await suite.startApi({ TASK_EVENTS: 'on' }, ROUTING_HANDLERS);
    relay = await suite.startRelay({}, ROUTING_HANDLERS);
    await suite.startWorker(REPORT_POOL, ROUTING_HANDLERS);
    await suite.startWorker({ WORKER_TASK_TYPES: DEFAULT_POOL_TYPES.join(',') }, ROUTING_HANDLERS);
  });

  afterAll(async () => {
    await channel?.close().catch(() => undefined);
    await suite.teardown();
  });

  it('runs a type of a queue group only on the pool that serves its queues, and every other type on the default worker', async () => {
    const priorities = ['HIGH', 'MEDIUM', 'LOW'];
    const reports = await Promise.all(priorities.map((priority) => off.create({ title: `report ${priority}`, type: 'report.build', priority })));
    const noops = await Promise.all(priorities.map((priority) => off.create({ title: `noop ${priority}`, type: 'noop', priority })));

    for (const task of [...reports, ...noops]) expect((await off.until(task.id, 'COMPLETED')).status).toBe('COMPLETED');
    for (const [i, task] of reports.entries()) {
      expect((await outboxRoutes(task.id))[0]).toBe(`dispatch tasks reports.${priorities[i].toLowerCase()}`);
    }
    for (const [i, task] of noops.entries()) {
      expect(await outboxRoutes(task.id)).toEqual([`dispatch tasks tasks.${priorities[i].toLowerCase()}`]);
    }
  });

  it('with TASK_EVENTS=off, emits the event of a type that names an output, and none for the others', async () => {
    const report = await off.create({ title: 'report', type: 'report.build' });
    const noop = await off.create({ title: 'noop', type: 'noop' });
    const done = await off.until(report.id, 'COMPLETED');
    await off.until(noop.id, 'COMPLETED');

    const [event, ...more] = await eventsFor(report.id);
    expect(more).toEqual([]);
    expect(event).toEqual({
      routingKey: 'reports.built',
      messageId: event.body.eventId,
      correlationId: report.correlationId,
      headers: { 'x-task-event-version': 1, 'x-task-type': 'report.build', 'x-task-status': 'COMPLETED' },
      body: {
        version: 1,
        eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        taskId: report.id,
        type: 'report.build',
        status: 'COMPLETED',
        result: { built: true, attempt: 1 },
        error: null,
        attempts: 1,
        maxAttempts: report.maxAttempts,
        priority: 'MEDIUM',
        correlationId: report.correlationId,
        createdAt: expect.stringMatching(ISO),
        startedAt: expect.stringMatching(ISO),
        finishedAt: expect.stringMatching(ISO),
      },
    });
    expect(new Date(event.body.finishedAt).toISOString()).toBe(new Date(done.completedAt).toISOString());
    expect(await eventRows([noop.id])).toBe(0);
    expect(await unpublished([noop.id])).toBe(0);
    expect(await eventsOf(noop.id)).toEqual([]);
  });

  it("sends a retried task of a group back to its group's queue of its priority, and emits one event when it ends", async () => {
    const task = await off.create({ title: 'flaky report', type: 'report.build', priority: 'LOW', payload: { failures: 1 } });

    const done = await off.until(task.id, 'COMPLETED');

    // Only the reports pool can run report.build: attempt 2 completing proves the retry came back to reports.low.
    expect(done.result).toEqual({ built: true, attempt: 2 });
    expect(await outboxRoutes(task.id)).toEqual(['dispatch tasks reports.low', 'retry tasks.retry reports.low', 'event tasks.events reports.built']);
    const events = await eventsFor(task.id);
    expect(events.map((e) => [e.body.status, e.body.attempts])).toEqual([['COMPLETED', 2]]);
  });

  it('emits FAILED after the last retry of a group type, with the error', async () => {
    const task = await off.create({ title: 'broken report', type: 'report.build', maxAttempts: 2, payload: { failures: 5 } });

    await off.until(task.id, 'FAILED');

    const events = await eventsFor(task.id);
    expect(events.map((e) => [e.routingKey, e.body.status, e.body.attempts, e.body.error, e.body.result])).toEqual([
      ['reports.built', 'FAILED', 2, 'report attempt 2 failed', null],
    ]);
  });

  it('with TASK_EVENTS=on, emits one event for every type on task.<type>: COMPLETED, FAILED after retries, CANCELLED queued and running', async () => {
    const completed = await on.create({ title: 'noop', type: 'noop' });
    const failed = await on.create({ title: 'fail', type: 'fail', maxAttempts: 2, payload: { message: 'always' } });
    const running = await on.create({ title: 'sleep', type: 'sleep', payload: { ms: 120_000 } });
    const queued = await on.create({ title: 'later', type: 'noop', runAt: '2999-01-01T00:00:00Z' });
    await on.until(running.id, 'IN_PROGRESS');
    await request(apiOn.getHttpServer()).delete(`/api/v1/tasks/${running.id}`).expect(202);
    await request(apiOn.getHttpServer()).delete(`/api/v1/tasks/${queued.id}`).expect(200);

    await on.until(completed.id, 'COMPLETED');
    await on.until(failed.id, 'FAILED');
    await on.until(running.id, 'CANCELLED');
    const summary = async (id: string) => (await eventsFor(id)).map((e) => [e.routingKey, e.body.status, e.body.attempts, e.body.error]);
    expect(await summary(completed.id)).toEqual([['task.noop', 'COMPLETED', 1, null]]);
    expect(await summary(failed.id)).toEqual([['task.fail', 'FAILED', 2, 'always']]);
    expect(await summary(running.id)).toEqual([['task.sleep', 'CANCELLED', 1, 'cancelled while running']]);
    expect(await summary(queued.id)).toEqual([['task.noop', 'CANCELLED', 0, 'cancelled before it ran']]);
  });

  it('emits a new event each time a task retried by a user ends again', async () => {
    const task = await on.create({ title: 'always fails', type: 'fail', maxAttempts: 1 });
    await on.until(task.id, 'FAILED');
    await eventsFor(task.id);

    await request(apiOn.getHttpServer()).post(`/api/v1/tasks/${task.id}/retry`).expect(202);
    await eventually(async () => (await eventRows([task.id])) === 2, 20_000, 'the second run to end');

    const events = await eventsFor(task.id, 2);
    expect(events.map((e) => e.body.status)).toEqual(['FAILED', 'FAILED']);
    expect(new Set(events.map((e) => e.body.eventId)).size).toBe(2);
  });

  it('refuses to start a worker whose queues carry a type it does not run, naming the types and the queues', async () => {
    await expect(suite.startWorker({ WORKER_QUEUES: REPORT_POOL.WORKER_QUEUES, WORKER_TASK_TYPES: 'report.build' }, ROUTING_HANDLERS)).rejects.toThrow(
      'WORKER_QUEUES carries task types that WORKER_TASK_TYPES leaves out: report.mail (on reports.high, reports.medium, reports.low)',
    );
    await expect(suite.startWorker({ WORKER_QUEUES: 'tasks.high,reprots.high' }, ROUTING_HANDLERS)).rejects.toThrow(
      'WORKER_QUEUES names reprots.high, a queue of no queue group a task type declares (groups: reports, tasks)',
    );
  });

  it('refuses to start a real worker process, exit code 1 and one message, when it leaves out a type of its queues', async () => {
    let failure = '';
    await suite.startProcess('worker', { WORKER_QUEUES: 'tasks.high', WORKER_TASK_TYPES: 'noop' }).catch((error: Error) => (failure = error.message));

    expect(failure).toContain('worker failed to start: the worker cannot start with this WORKER_QUEUES and WORKER_TASK_TYPES');
    expect(failure).toMatch(/leaves out: fail \(on tasks\.high\); http\.request \(on tasks\.high\); sleep \(on tasks\.high\)/);
  });

  it('writes an event exactly when the terminal status is written, and publishes each across a relay kill -9', async () => {
    await suite.stop(relay!);
    relay = undefined;
    let process: AppProcess = await suite.startProcess('relay');
    const body = { tasks: Array.from({ length: 300 }, (_, i) => ({ title: `bulk ${i}`, type: 'noop', priority: ['HIGH', 'MEDIUM', 'LOW'][i % 3] })) };
    const created = (await request(apiOn.getHttpServer()).post('/api/v1/tasks/batch').send(body).expect(201)).body as { tasks: { id: string }[] };
    const ids = created.tasks.map((t) => t.id);
    expect(ids).toHaveLength(300);
    const terminal = TaskStatusMachine.terminal();
    /** Tasks whose event rows do not match their status: terminal with not exactly one event row, or not terminal with any. */
    const mismatched = async () =>
      (
        await suite.sql.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM tasks t
           WHERE t.id = ANY($1)
             AND (t.status = ANY($2::task_status[])) <> ((SELECT count(*) FROM outbox o WHERE o.task_id = t.id AND o.kind = 'event') = 1)`,
          [ids, terminal],
        )
      ).rows[0].n;
    const finished = async () =>
      (await suite.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM tasks WHERE id = ANY($1) AND status = ANY($2::task_status[])', [ids, terminal]))
        .rows[0].n;

    await eventually(async () => (await finished()) >= 30, 30_000, 'some tasks to finish');
    await process.kill();
    // Checked repeatedly while the relay is gone and the workers finish what they hold.
    for (let i = 0; i < 5; i++) expect(await mismatched()).toBe(0);

    process = await suite.startProcess('relay');
    await eventually(async () => (await finished()) === ids.length, 60_000, 'every task to finish');
    expect(await mismatched()).toBe(0);
    await eventually(async () => (await unpublished(ids)) === 0, 30_000, 'the outbox to be published');
    await collect();
    const events = received.filter((e) => ids.includes(e.body.taskId));
    // At least once: a row published just before the kill may be published again, with the same event id.
    expect(new Set(events.map((e) => e.body.eventId)).size).toBe(ids.length);
    expect(new Set(events.map((e) => e.body.taskId))).toEqual(new Set(ids));
    expect(events.every((e) => e.body.status === 'COMPLETED' && e.routingKey === 'task.noop')).toBe(true);
    await process.stop();
  });
});

/** The relay's reconciler walks each queue of each group on its own, and sends a task back to its group's queue. */
describe('reconciler with queue groups', () => {
  let suite: Suite;
  let api: ApiUnderTest;
  const client = taskClient(() => api, 30_000);
  const redispatches = async (ids: string[]) =>
    (
      await suite.sql.query<{ task_id: string; routing_key: string }>(
        "SELECT task_id, routing_key FROM outbox WHERE kind = 'redispatch' AND task_id = ANY($1) ORDER BY id",
        [ids],
      )
    ).rows;

  beforeAll(async () => {
    suite = await Suite.create('routing_reconcile', { RECONCILE_AFTER_SECONDS: '1' });
    api = await suite.startApi({}, ROUTING_HANDLERS);
    await suite.startRelay({}, ROUTING_HANDLERS);
  });

  afterAll(async () => {
    await suite.teardown();
  });

  it("dispatches a group's tasks again to their group's queue after it was purged, and leaves the default queue's tasks alone", async () => {
    const reports = await Promise.all([1, 2, 3].map((i) => client.create({ title: `report ${i}`, type: 'report.build' })));
    const noops = await Promise.all([1, 2].map((i) => client.create({ title: `noop ${i}`, type: 'noop' })));
    await eventually(
      async () => (await suite.queueDepth('reports.medium')) === 3 && (await suite.queueDepth('tasks.medium')) === 2,
      15_000,
      'the tasks to be queued in their queues',
    );
    const channel = await suite.channel();
    await channel.purgeQueue('reports.medium');
    await channel.close();

    const reportIds = reports.map((t) => t.id);
    await eventually(async () => (await redispatches(reportIds)).length >= 3, 15_000, 'a re-dispatch of each report');
    await eventually(async () => (await suite.queueDepth('reports.medium')) >= 3, 15_000, 'the reports back in reports.medium');

    expect(new Set((await redispatches(reportIds)).map((r) => r.routing_key))).toEqual(new Set(['reports.medium']));
    expect(await redispatches(noops.map((t) => t.id))).toEqual([]);
    expect(await suite.queueDepth('tasks.medium')).toBe(2);
    await suite.startWorker(REPORT_POOL, ROUTING_HANDLERS);
    await suite.startWorker({ WORKER_TASK_TYPES: DEFAULT_POOL_TYPES.join(',') }, ROUTING_HANDLERS);
    for (const task of [...reports, ...noops]) await client.until(task.id, 'COMPLETED');
  });
});

import type { Channel } from 'amqplib';
import request from 'supertest';
import { TASK_HANDLERS } from '#tasks';
import { type ApiUnderTest, eventually, Suite } from '../../test/integration/support/suite.js';
import { taskClient } from '../../test/integration/support/task-client.js';
import { ReportBuildHandler } from './report-build.handler.js';

/** The consumer's own queue, bound to `tasks.events` with the type's output key. */
const RESULTS_QUEUE = 'example.reports-done';

interface ReportEvent {
  routingKey: string;
  body: { version: number; taskId: string; type: string; status: string; result: unknown; error: string | null };
}

/**
 * The `report.build` example on the real Postgres and RabbitMQ: api and relay with the example
 * added to the deployment's handlers, and one worker that is a reports pool (its queue group's
 * queues only, registering `report.build` only), so a report that completes went the group's way.
 * The test is the consumer of the results: it binds its own queue to `tasks.events`.
 */
describe('examples: report.build', () => {
  const handlers = [...TASK_HANDLERS, ReportBuildHandler];
  let suite: Suite;
  let api: ApiUnderTest;
  let channel: Channel;
  const tasks = taskClient(() => api, 40_000);
  const received: ReportEvent[] = [];
  const eventOf = async (taskId: string) => {
    for (let message = await channel.get(RESULTS_QUEUE, { noAck: true }); message; message = await channel.get(RESULTS_QUEUE, { noAck: true }))
      received.push({ routingKey: message.fields.routingKey, body: JSON.parse(message.content.toString()) as ReportEvent['body'] });
    return received.find((e) => e.body.taskId === taskId);
  };
  /** Reads the task until it leaves IN_PROGRESS-or-earlier, keeping every progress seen while it ran. */
  const watch = async (id: string) => {
    const whileRunning: number[] = [];
    const end = await eventually(
      async () => {
        const task = await tasks.get(id);
        if (task.status === 'IN_PROGRESS' && task.progress !== null) whileRunning.push(task.progress);
        return ['COMPLETED', 'FAILED', 'CANCELLED'].includes(task.status) ? task : undefined;
      },
      40_000,
      `report ${id} to end`,
    );
    return { end, whileRunning };
  };

  beforeAll(async () => {
    suite = await Suite.create('example_report');
    api = await suite.startApi({}, handlers);
    await suite.startRelay({}, handlers);
    await suite.startWorker({ WORKER_QUEUES: 'reports.high,reports.medium,reports.low', WORKER_TASK_TYPES: 'report.build' }, handlers);
    // What a consuming service does once, before the reports it cares about end.
    channel = await suite.channel();
    await channel.assertExchange('tasks.events', 'topic', { durable: true });
    await channel.assertQueue(RESULTS_QUEUE, { durable: true });
    await channel.bindQueue(RESULTS_QUEUE, 'tasks.events', 'reports.done');
  });

  afterAll(async () => {
    await channel?.close().catch(() => undefined);
    await suite?.teardown();
  });

  it('reports progress while it runs, and its result arrives as an event on reports.done', async () => {
    const created = await tasks.create({ type: 'report.build', title: 'November report', payload: { account: 'acme', sections: 5, sectionMs: 500 } });
    const { end, whileRunning } = await watch(created.id);

    expect(end.status).toBe('COMPLETED');
    expect(end.progress).toBe(100);
    // Seen by GET /tasks/{id} while the task ran: some step between 0 and 100, never going back.
    expect(whileRunning.some((p) => p > 0 && p < 100)).toBe(true);
    expect(whileRunning).toEqual([...whileRunning].sort((a, b) => a - b));
    const expected = { account: 'acme', sections: [10, 20, 30, 40, 50].map((rows, index) => ({ index, rows })), totalRows: 150 };
    expect(end.result).toEqual(expected);

    const event = await eventually(() => eventOf(created.id), 20_000, `the reports.done event of ${created.id}`);
    expect(event).toEqual({
      routingKey: 'reports.done',
      body: expect.objectContaining({ version: 1, taskId: created.id, type: 'report.build', status: 'COMPLETED', result: expected, error: null }),
    });
  });

  it('ran on its own queue group: the task records reports, and the default queues carried nothing', async () => {
    const { rows } = await suite.sql.query<{ queue_group: string | null; n: number }>(
      "SELECT queue_group, count(*)::int AS n FROM tasks WHERE type = 'report.build' GROUP BY queue_group",
    );
    expect(rows).toEqual([{ queue_group: 'reports', n: 1 }]);
    expect(await suite.queueDepth('tasks.medium')).toBe(0);
  });

  it('publishes a cancelled report too, with its error and no result', async () => {
    const created = await tasks.create({ type: 'report.build', title: 'too long a report', payload: { account: 'acme', sections: 100, sectionMs: 500 } });
    await eventually(async () => (await tasks.get(created.id)).progress > 0, 30_000, 'the report to report progress');
    await request(api.getHttpServer()).delete(`/api/v1/tasks/${created.id}`).expect(202);
    const { end } = await watch(created.id);

    expect(end.status).toBe('CANCELLED');
    const event = await eventually(() => eventOf(created.id), 20_000, `the reports.done event of ${created.id}`);
    expect(event.body).toEqual(expect.objectContaining({ status: 'CANCELLED', result: null, error: 'cancelled while running' }));
  });
});

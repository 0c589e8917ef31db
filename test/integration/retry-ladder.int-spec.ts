import type { INestApplicationContext } from '@nestjs/common';
import request from 'supertest';
import { AmqpConnectionService, buildTopology, declareTopology, RETRY_DELAY_HEADER, retryMessage, retryQueueName } from '#messaging';
import { MetricsService } from '#observability';
import type { QueryRunner } from 'typeorm';
import { RetryDelayHeader1764200000000 } from '../../migrations/1764200000000-retry-delay-header.js';
import { TaskPriority } from '#tasks';
import { type ApiUnderTest, Suite, eventually } from './support/suite.js';

const STEPS = [1, 2, 3];
/** Above the step: the relay's poll, the NOTIFY, the broker's expiry and the worker's claim. */
const TOLERANCE_MS = 2_000;
/** The arguments every delay queue was bound with before the fix: RabbitMQ ignores `x-` headers, so they match every message. */
const oldBindingArguments = (delay: number) => ({ 'x-match': 'all', 'x-retry-delay': `${delay}s` });

/** The retry ladder on the real broker: each retry waits its own step, in exactly one delay queue. */
describe('retry ladder', () => {
  let suite: Suite;
  let api: ApiUnderTest;
  let relay: INestApplicationContext;

  const create = async (body: Record<string, unknown>) => (await request(api.getHttpServer()).post('/api/v1/tasks').send(body).expect(201)).body;
  const delayQueueDepths = async () => Promise.all(STEPS.map((step) => suite.queueDepth(retryQueueName(step))));

  beforeAll(async () => {
    suite = await Suite.create('ladder', { RETRY_DELAYS_SECONDS: STEPS.join(','), MAX_RETRIES: String(STEPS.length) });
    // The vhost as an earlier version left it: the delay queues bound with the old arguments.
    const channel = await suite.channel();
    await channel.assertExchange('tasks.retry', 'headers', { durable: true });
    for (const step of STEPS) {
      const queue = retryQueueName(step);
      await channel.assertQueue(queue, {
        durable: true,
        arguments: { 'x-queue-type': 'classic', 'x-message-ttl': step * 1000, 'x-dead-letter-exchange': 'tasks' },
      });
      await channel.bindQueue(queue, 'tasks.retry', '', oldBindingArguments(step));
    }
    await channel.close();
    api = await suite.startApi();
    relay = await suite.startRelay();
    for (const app of [api.app, relay]) {
      const amqp = app.get(AmqpConnectionService);
      await eventually(async () => amqp.isConnected(), 10_000, 'the connection to RabbitMQ');
      await amqp.topologyReady();
    }
  });

  afterAll(async () => {
    await suite.teardown();
  });

  it('puts a retry into the delay queue of its step only, and back into its priority queue once', async () => {
    const task = { taskId: '6f1d3a52-8a51-4f7e-9a55-2c0b7b6c0d01', type: 'noop', priority: TaskPriority.MEDIUM, correlationId: 'ladder-test' };
    const message = retryMessage(task, 2, 2);
    const channel = await suite.channel();
    channel.publish(message.exchange, message.routingKey, Buffer.from(JSON.stringify(message.body)), {
      persistent: true,
      messageId: message.messageId,
      headers: message.headers,
    });
    await channel.close();

    await eventually(async () => (await suite.queueDepth(retryQueueName(2))) === 1, 900, 'the retry in tasks.retry.2s');
    expect(await delayQueueDepths()).toEqual([0, 1, 0]);
    // Past the longest step every copy there is has come back to tasks.medium.
    await new Promise((resolve) => setTimeout(resolve, (Math.max(...STEPS) + 1) * 1000));
    const back = await suite.drainQueue('tasks.medium');
    expect(back.map((m) => m.properties.messageId)).toEqual([message.messageId]);
    expect(await delayQueueDepths()).toEqual([0, 0, 0]);
  });

  it('waits each step of the ladder before the next attempt, and delivers each retry once', async () => {
    const worker = await suite.startWorker();
    try {
      const task = await create({ title: 'always fails', type: 'fail' });
      await eventually(async () => (await suite.taskStatus(task.id)) === 'FAILED', 30_000, 'the task to fail for good');
      // Let any stray copy come back from the longest step, so a duplicate would be seen and skipped.
      await new Promise((resolve) => setTimeout(resolve, (Math.max(...STEPS) + 1) * 1000));

      const { rows } = await suite.sql.query<{ status: string; attempt: number; at: Date }>(
        "SELECT status, attempt, at FROM task_events WHERE task_id = $1 AND status IN ('IN_PROGRESS', 'RETRYING') ORDER BY id",
        [task.id],
      );
      expect(rows.map((e) => [e.status, e.attempt])).toEqual([
        ['IN_PROGRESS', 1],
        ['RETRYING', 1],
        ['IN_PROGRESS', 2],
        ['RETRYING', 2],
        ['IN_PROGRESS', 3],
        ['RETRYING', 3],
        ['IN_PROGRESS', 4],
      ]);
      const waits = STEPS.map((_, k) => rows[2 * k + 2].at.getTime() - rows[2 * k + 1].at.getTime());
      STEPS.forEach((step, k) => {
        expect(waits[k]).toBeGreaterThanOrEqual(step * 1000);
        expect(waits[k]).toBeLessThan(step * 1000 + TOLERANCE_MS);
      });

      const outcomes = (await worker.get(MetricsService).taskOutcomes.get()).values;
      const skipped = outcomes.filter((v) => v.labels.outcome === 'SKIPPED').reduce((sum, v) => sum + v.value, 0);
      expect(skipped).toBe(0);
      expect(await delayQueueDepths()).toEqual([0, 0, 0]);
      await suite.drainQueue('tasks.dlq');
    } finally {
      await suite.stop(worker);
    }
  });

  it('rewrites the retry messages still waiting in the outbox to the new header when it migrates, and leaves published ones', async () => {
    const insert = `INSERT INTO outbox (kind, message_id, exchange, routing_key, headers, body, available_at, published_at)
      VALUES ('retry', gen_random_uuid(), 'tasks.retry', 'tasks.low', $1::jsonb, '{}'::jsonb, now() + interval '1 day', $2) RETURNING id`;
    const oldHeaders = JSON.stringify({ 'x-task-attempt': 2, 'x-retry-delay': '2s' });
    const waiting = (await suite.sql.query<{ id: string }>(insert, [oldHeaders, null])).rows[0].id;
    const published = (await suite.sql.query<{ id: string }>(insert, [oldHeaders, new Date()])).rows[0].id;
    try {
      const runner = { query: (sql: string) => suite.sql.query(sql) } as unknown as QueryRunner;
      await new RetryDelayHeader1764200000000().up(runner);

      const headersOf = async (id: string) => (await suite.sql.query('SELECT headers FROM outbox WHERE id = $1', [id])).rows[0].headers;
      expect(await headersOf(waiting)).toEqual({ 'x-task-attempt': 2, [RETRY_DELAY_HEADER]: '2s' });
      expect(await headersOf(published)).toEqual({ 'x-task-attempt': 2, 'x-retry-delay': '2s' });
    } finally {
      await suite.sql.query('DELETE FROM outbox WHERE id = ANY($1)', [[waiting, published]]);
    }
  });

  it('removes a delay queue binding that matches every message when it declares the topology, and declares again harmlessly', async () => {
    const channel = await suite.channel();
    await channel.bindQueue(retryQueueName(2), 'tasks.retry', '', oldBindingArguments(2));
    const topology = buildTopology({ queueType: 'classic', retryDelaysSeconds: STEPS });
    const openChannel = () => suite.channel();

    expect(await declareTopology(openChannel, topology)).toEqual([]);
    expect(await declareTopology(openChannel, topology)).toEqual([]);

    // A message that names no step of the ladder must reach no delay queue.
    const stray = await suite.channel();
    stray.publish('tasks.retry', 'tasks.low', Buffer.from('{}'), { headers: { [RETRY_DELAY_HEADER]: '9s' } });
    await stray.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await delayQueueDepths()).toEqual([0, 0, 0]);
    await channel.close();
  });
});

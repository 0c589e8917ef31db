import type { INestApplicationContext } from '@nestjs/common';
import { MetricsService } from '#observability';
import { type PrivateRabbitMQ, startPrivateRabbitMQ } from './support/private-services.js';
import { type ApiUnderTest, Suite } from './support/suite.js';
import { taskClient } from './support/task-client.js';

/** The broker's consumer_timeout on this private node: far below the task's run time. */
const CONSUMER_TIMEOUT_MS = 2_000;

/**
 * A task that runs longer than RabbitMQ's consumer_timeout: the broker closes the worker's
 * channel under the running handler and requeues the message. The task must still run once and
 * finish once, and the worker must consume again on a new channel. Needs a broker-wide setting,
 * so it runs on a private RabbitMQ node, never on the shared one.
 */
describe('a task longer than the broker consumer timeout', () => {
  let broker: PrivateRabbitMQ;
  let suite: Suite;
  let api: ApiUnderTest;
  const workers: INestApplicationContext[] = [];

  const { create, until } = taskClient(() => api);
  const skipped = async () => {
    let sum = 0;
    for (const worker of workers) {
      const metric = await worker.get(MetricsService).taskOutcomes.get();
      sum += metric.values.filter((v) => v.labels.outcome === 'SKIPPED').reduce((total, v) => total + v.value, 0);
    }
    return sum;
  };

  beforeAll(async () => {
    broker = await startPrivateRabbitMQ({ name: 'consumer-timeout', consumerTimeoutMs: CONSUMER_TIMEOUT_MS });
    // RabbitMQ 3.10 checks the timeout on each channel's tick (every 60 s unless set): check
    // often, so the timeout fires about when it is due. Channels opened from now on use it.
    await broker.ctl(['eval', 'application:set_env(rabbit, channel_tick_interval, 250).']);
    const env = { RABBITMQ_URL: broker.url(), TASK_LEASE_SECONDS: '3' };
    suite = await Suite.create('consumer_timeout', env);
    api = await suite.startApi();
    await suite.startRelay();
    workers.push(await suite.startWorker(), await suite.startWorker());
  }, 180_000);

  afterAll(async () => {
    await suite?.teardown();
    await broker?.stop();
  }, 60_000);

  it('runs it once, finishes it once, and consumes again on a new channel', async () => {
    const before = await skipped();
    const task = await create({ title: 'longer than consumer_timeout', type: 'sleep', payload: { ms: 4 * CONSUMER_TIMEOUT_MS } });

    const done = await until(task.id, 'COMPLETED', 30_000);
    expect(done.attempts).toBe(1);
    const { rows } = await suite.sql.query<{ status: string; n: number }>(
      "SELECT status, count(*)::int AS n FROM task_events WHERE task_id = $1 AND status IN ('IN_PROGRESS', 'COMPLETED') GROUP BY status ORDER BY status::text",
      [task.id],
    );
    expect(rows).toEqual([
      { status: 'COMPLETED', n: 1 },
      { status: 'IN_PROGRESS', n: 1 },
    ]);
    // The broker did close the channel: its requeued copy came back and was skipped (live lease).
    expect(await skipped()).toBeGreaterThan(before);

    // Both workers consume again although their connections never dropped.
    const next = await Promise.all([1, 2, 3, 4].map((i) => create({ title: `after the timeout ${i}`, type: 'noop' })));
    for (const t of next) await until(t.id, 'COMPLETED', 20_000);
  });
});

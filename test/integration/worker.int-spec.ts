import type { INestApplicationContext } from '@nestjs/common';
import { ATTEMPT_HEADER, DEAD_LETTER_HEADERS } from '#messaging';
import { MetricsService } from '#observability';
import { type ApiUnderTest, Suite, eventually } from './support/suite.js';
import { taskClient } from './support/task-client.js';

/** The worker on the real services: claims, outcomes, retries, the DLQ and priorities. */
describe('worker', () => {
  let suite: Suite;
  let api: ApiUnderTest;
  let worker: INestApplicationContext;

  const { create, get, until } = taskClient(() => api, 15_000);
  const skipped = async (app: INestApplicationContext) => {
    const metric = await app.get(MetricsService).taskOutcomes.get();
    return metric.values.filter((v) => v.labels.outcome === 'SKIPPED').reduce((sum, v) => sum + v.value, 0);
  };

  beforeAll(async () => {
    suite = await Suite.create('worker', { RETRY_DELAYS_SECONDS: '1', MAX_RETRIES: '2' });
    api = await suite.startApi();
    await suite.startRelay();
    worker = await suite.startWorker();
  });

  afterAll(async () => {
    await suite.teardown();
  });

  it('acknowledges a duplicate message for a completed task without running the handler again', async () => {
    const task = await create({ title: 'once', type: 'sleep', payload: { ms: 50 } });
    const done = await until(task.id, 'COMPLETED');
    const skippedBefore = await skipped(worker);

    const channel = await suite.channel();
    const duplicate = { taskId: task.id, type: 'sleep', priority: 'MEDIUM', attempt: 1, correlationId: 'dup' };
    channel.sendToQueue('tasks.medium', Buffer.from(JSON.stringify(duplicate)), { persistent: true, headers: { [ATTEMPT_HEADER]: 1 } });
    await channel.close();

    await eventually(async () => (await skipped(worker)) === skippedBefore + 1, 10_000, 'the duplicate to be skipped');
    await eventually(async () => (await suite.queueDepth('tasks.medium')) === 0, 10_000, 'the duplicate to be acknowledged');
    const after = await get(task.id);
    expect(after).toMatchObject({ status: 'COMPLETED', attempts: 1, result: done.result, updatedAt: done.updatedAt });
  });

  it('retries a failing task through the ladder and completes it on the next attempt', async () => {
    const task = await create({ title: 'flaky', type: 'fail', payload: { times: 1 } });
    const retrying = await until(task.id, 'RETRYING');
    expect(retrying.error).toContain('attempt 1 failed on purpose');
    expect(retrying.nextRetryAt).not.toBeNull();
    const done = await until(task.id, 'COMPLETED');
    expect(done).toMatchObject({ attempts: 2, result: { succeededOnAttempt: 2 }, error: null });
  });

  it('ends a task that always fails FAILED after maxAttempts, with one copy in tasks.dlq', async () => {
    const dlqBefore = await suite.queueDepth('tasks.dlq');
    const task = await create({ title: 'doomed', type: 'fail', maxAttempts: 3, payload: { message: 'always broken' } });
    const failed = await until(task.id, 'FAILED', 20_000);
    expect(failed).toMatchObject({ attempts: 3, error: 'always broken' });

    await eventually(async () => (await suite.queueDepth('tasks.dlq')) === dlqBefore + 1, 10_000, 'the copy in tasks.dlq');
    const copies = await suite.drainQueue('tasks.dlq');
    const copy = copies.find((m) => JSON.parse(m.content.toString()).taskId === task.id)!;
    expect(copies.filter((m) => JSON.parse(m.content.toString()).taskId === task.id)).toHaveLength(1);
    expect(copy.properties.headers).toMatchObject({
      [DEAD_LETTER_HEADERS.reason]: 'max-attempts-exhausted',
      [DEAD_LETTER_HEADERS.originalQueue]: 'tasks.medium',
      [DEAD_LETTER_HEADERS.attempts]: 3,
      [DEAD_LETTER_HEADERS.error]: 'always broken',
    });
  });

  it('fails a permanent error at once, without retry', async () => {
    const task = await create({ title: 'bad input', type: 'fail', payload: { permanent: true, message: 'cannot ever work' } });
    const failed = await until(task.id, 'FAILED');
    expect(failed).toMatchObject({ attempts: 1, error: 'cannot ever work' });
  });

  it('moves an unreadable message to tasks.dlq with its reason and keeps consuming', async () => {
    const channel = await suite.channel();
    const dlqBefore = await suite.queueDepth('tasks.dlq');
    channel.sendToQueue('tasks.low', Buffer.from('this is not json'), { persistent: true, messageId: 'poison-1' });
    await eventually(async () => (await suite.queueDepth('tasks.dlq')) === dlqBefore + 1, 10_000, 'the poison message in tasks.dlq');
    await channel.close();
    const copies = await suite.drainQueue('tasks.dlq');
    const poison = copies.find((m) => m.properties.messageId === 'poison-1');
    expect(poison?.content.toString()).toBe('this is not json');
    expect(poison?.properties.headers).toMatchObject({
      [DEAD_LETTER_HEADERS.reason]: 'unreadable-message',
      [DEAD_LETTER_HEADERS.originalQueue]: 'tasks.low',
    });

    const task = await create({ title: 'still serving' });
    await until(task.id, 'COMPLETED');
  });

  it('starts a HIGH task in the next free slot, ahead of a backlog of LOW tasks', async () => {
    await suite.stop(worker);
    const lows = [];
    for (let i = 0; i < 6; i++) lows.push(await create({ title: `low ${i}`, type: 'sleep', priority: 'LOW', payload: { ms: 150 } }));
    worker = await suite.startWorker({ WORKER_PREFETCH: '1' });
    await until(lows[0].id, 'IN_PROGRESS', 10_000).catch(() => undefined);
    const high = await create({ title: 'urgent', type: 'sleep', priority: 'HIGH', payload: { ms: 10 } });

    const doneHigh = await until(high.id, 'COMPLETED', 20_000);
    const lowStarts = await Promise.all(lows.map(async (t) => (await get(t.id)).startedAt as string | null));
    const startedBeforeHigh = lowStarts.filter((s) => s !== null && s < doneHigh.startedAt).length;
    // One slot: at most the LOW task running when HIGH arrived (and the one already delivered
    // with it) may start first; the rest of the backlog waits.
    expect(startedBeforeHigh).toBeLessThanOrEqual(2);
    for (const low of lows) await until(low.id, 'COMPLETED', 20_000);
  });
});

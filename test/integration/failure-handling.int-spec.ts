import { execFileSync } from 'node:child_process';
import type { INestApplicationContext } from '@nestjs/common';
import request from 'supertest';
import { DEAD_LETTER_HEADERS } from '#messaging';
import { MetricsService } from '#observability';
import { MaintenanceService } from '../../apps/relay/src/maintenance.service.js';
import { type ApiUnderTest, Suite, eventually } from './support/suite.js';
import { taskClient } from './support/task-client.js';

/** The failure handling of documents/failure-handling.md, in-process: time-outs, the DLQ, the timeline, the sweeper, retention, the topology. */
describe('failure handling', () => {
  let suite: Suite;
  let api: ApiUnderTest;
  let relay: INestApplicationContext;

  const { create, until } = taskClient(() => api);
  beforeAll(async () => {
    suite = await Suite.create('failures', { RETRY_DELAYS_SECONDS: '1', TASK_TIMEOUT_SECONDS: '1', TASK_LEASE_SECONDS: '3' });
    api = await suite.startApi();
    relay = await suite.startRelay();
  });

  afterAll(async () => {
    await suite.teardown();
  });

  it('aborts an attempt past TASK_TIMEOUT_SECONDS, retries it, and fails it for good with reason timeout', async () => {
    const worker = await suite.startWorker();
    try {
      const task = await create({ title: 'too slow', type: 'sleep', payload: { ms: 5000 }, maxAttempts: 2 });
      const failed = await until(task.id, 'FAILED', 20_000);
      expect(failed.attempts).toBe(2);
      expect(failed.error).toContain('timed out after 1 s');
      await eventually(async () => (await suite.queueDepth('tasks.dlq')) > 0, 10_000, 'the DLQ copy');
      const copy = (await suite.drainQueue('tasks.dlq')).find((m) => JSON.parse(m.content.toString()).taskId === task.id);
      expect(copy?.properties.headers).toMatchObject({ [DEAD_LETTER_HEADERS.reason]: 'timeout', [DEAD_LETTER_HEADERS.attempts]: 2 });
      expect(copy?.properties.headers?.[DEAD_LETTER_HEADERS.failedAt]).toEqual(expect.any(String));
    } finally {
      await suite.stop(worker);
    }
  });

  it('records a timeline of every status change with attempt, worker and where the task was', async () => {
    const worker = await suite.startWorker();
    try {
      const task = await create({ title: 'flaky', type: 'fail', payload: { times: 1 } });
      await until(task.id, 'COMPLETED');
      const res = await request(api.getHttpServer()).get(`/api/v1/tasks/${task.id}/events`).expect(200);
      const timeline = res.body.items.map((e: { status: string; attempt: number }) => [e.status, e.attempt]);
      expect(timeline).toEqual([
        ['NEW', 0],
        ['PENDING', 0],
        ['IN_PROGRESS', 1],
        ['RETRYING', 1],
        ['IN_PROGRESS', 2],
        ['COMPLETED', 2],
      ]);
      const [, pending, running, retrying] = res.body.items;
      expect(pending.detail).toBe('published to tasks.medium');
      expect(running.worker).toMatch(/^.+:\d+$/);
      expect(retrying.error).toContain('attempt 1 failed on purpose');
      expect(retrying.detail).toMatch(/^waiting in the retry ladder until /);
      await request(api.getHttpServer()).get('/api/v1/tasks/00000000-0000-4000-8000-000000000000/events').expect(404);
    } finally {
      await suite.stop(worker);
    }
  });

  it('replays a task from the DLQ with POST /retry: it runs again from attempt 1', async () => {
    const worker = await suite.startWorker();
    try {
      const doomed = await create({ title: 'permanent', type: 'fail', maxAttempts: 1, payload: { permanent: true } });
      await until(doomed.id, 'FAILED');
      const replayed = await request(api.getHttpServer()).post(`/api/v1/tasks/${doomed.id}/retry`).expect(202);
      expect(replayed.body).toMatchObject({ status: 'NEW', attempts: 0, error: null });
      const again = await until(doomed.id, 'FAILED');
      expect(again.attempts).toBe(1);
      const events = (await request(api.getHttpServer()).get(`/api/v1/tasks/${doomed.id}/events`)).body.items.map((e: { status: string }) => e.status);
      expect(events.filter((s: string) => s === 'FAILED')).toHaveLength(2);
      await suite.drainQueue('tasks.dlq');
    } finally {
      await suite.stop(worker);
    }
  });

  it('releases a task whose worker is gone (lease expired) and another worker takes it over', async () => {
    const task = await create({ title: 'orphan', type: 'noop' });
    await eventually(async () => (await suite.taskStatus(task.id)) === 'PENDING', 10_000, 'the task to be queued');
    // A worker claimed it and vanished without a trace: its message is gone, its lease expired.
    const channel = await suite.channel();
    await channel.purgeQueue('tasks.medium');
    await channel.close();
    await suite.sql.query(
      `UPDATE tasks
          SET status = 'IN_PROGRESS', attempts = 1,
              locked_by = 'gone-host:1:00000000-0000-4000-8000-000000000000', locked_until = now() - interval '1 second'
        WHERE id = $1`,
      [task.id],
    );
    const worker = await suite.startWorker();
    try {
      // The relay's own timer may sweep it first; either way it is released exactly once.
      await relay.get(MaintenanceService).sweep();
      const done = await until(task.id, 'COMPLETED');
      expect(done.attempts).toBe(2);
      const details = (await request(api.getHttpServer()).get(`/api/v1/tasks/${task.id}/events`)).body.items.map((e: { detail: string }) => e.detail);
      expect(details.filter((d: string) => d === 'released by the lease sweeper: its worker is gone')).toHaveLength(1);
      const released = (await relay.get(MetricsService).tasksRedispatched.get()).values.find((v) => v.labels.reason === 'lease-expired');
      expect(released?.value).toBe(1);
      expect(details).toContain('taken over: the previous worker was lost');
    } finally {
      await suite.stop(worker);
    }
  });

  it('deletes published outbox rows older than OUTBOX_RETENTION_HOURS, and keeps the rest', async () => {
    const old = await create({ title: 'old', runAt: new Date(Date.now() + 3_600_000).toISOString() });
    const recent = await create({ title: 'recent', runAt: new Date(Date.now() + 3_600_000).toISOString() });
    await suite.sql.query("UPDATE outbox SET published_at = now() - interval '25 hours' WHERE task_id = $1", [old.id]);
    await suite.sql.query("UPDATE outbox SET published_at = now() - interval '1 hour' WHERE task_id = $1", [recent.id]);
    const deleted = await relay.get(MaintenanceService).retain();
    expect(deleted).toBeGreaterThanOrEqual(1);
    const { rows } = await suite.sql.query('SELECT task_id FROM outbox WHERE task_id = ANY($1)', [[old.id, recent.id]]);
    expect(rows.map((r) => r.task_id)).toEqual([recent.id]);
  });

  it('creates the queues of a new ladder, and starts despite a queue declared with other arguments', async () => {
    // Someone declared tasks.retry.9s by hand with another TTL: the declaration must not crash-loop.
    const channel = await suite.channel();
    await channel.assertQueue('tasks.retry.9s', { durable: true, arguments: { 'x-message-ttl': 1234 } });
    await channel.close();
    const worker = await suite.startWorker({ RETRY_DELAYS_SECONDS: '7,9' });
    try {
      const depth = await eventually(
        async () => {
          const c = await suite.channel();
          c.on('error', () => undefined); // checkQueue of a missing queue closes the channel
          try {
            return (await c.checkQueue('tasks.retry.7s')).queue;
          } catch {
            return undefined;
          } finally {
            await c.close().catch(() => undefined);
          }
        },
        10_000,
        'tasks.retry.7s to exist',
      );
      expect(depth).toBe('tasks.retry.7s');
      const task = await create({ title: 'still works' });
      await until(task.id, 'COMPLETED');
    } finally {
      await suite.stop(worker);
    }
  });

  it('survives the broker closing its connection mid-task: the late acknowledgement is dropped, the task finishes once', async () => {
    const worker = await suite.startProcess('worker', { TASK_TIMEOUT_SECONDS: '30' });
    try {
      const task = await create({ title: 'interrupted', type: 'sleep', payload: { ms: 1500 } });
      await until(task.id, 'IN_PROGRESS');
      // Close every connection of this suite's vhost from the broker's side.
      const connections = execFileSync('rabbitmqctl', ['-q', 'list_connections', 'pid', 'vhost'], { encoding: 'utf8' })
        .split('\n')
        .filter((line) => line.includes(suite.vhost))
        .map((line) => line.split('\t')[0]);
      for (const pid of connections) execFileSync('rabbitmqctl', ['-q', 'close_connection', pid, 'closed by the test']);

      await until(task.id, 'COMPLETED', 30_000);
      expect(worker.running).toBe(true);
      const next = await create({ title: 'after the reconnect' });
      await until(next.id, 'COMPLETED', 30_000);
      const { rows } = await suite.sql.query("SELECT count(*)::int AS n FROM task_events WHERE task_id = $1 AND status = 'COMPLETED'", [task.id]);
      expect(rows[0].n).toBe(1);
    } finally {
      await suite.killProcesses();
    }
  });
});

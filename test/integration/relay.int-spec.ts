import { randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import type pg from 'pg';
import { createPool, DatabaseService, type NewTaskWithDispatch, TaskRepository } from '#database';
import { dispatchMessage, type TaskMessage } from '#messaging';
import { TaskPriority } from '#tasks';
import { Suite, eventually } from './support/suite.js';
import { TcpProxy } from './support/tcp-proxy.js';

const QUEUES = ['tasks.high', 'tasks.medium', 'tasks.low'];
const PRIORITIES = [TaskPriority.HIGH, TaskPriority.MEDIUM, TaskPriority.LOW];

/** The outbox relay against the real Postgres and RabbitMQ. */
describe('outbox relay', () => {
  let suite: Suite;
  let pool: pg.Pool;
  let database: DatabaseService;
  const repository = new TaskRepository();
  const started: INestApplicationContext[] = [];

  const insertTasks = async (count: number, routingKey?: string) => {
    const items: NewTaskWithDispatch[] = Array.from({ length: count }, (_, i) => {
      const id = randomUUID();
      const priority = PRIORITIES[i % 3];
      const dispatch = dispatchMessage({ taskId: id, type: 'noop', priority, correlationId: `relay-${i}` });
      return {
        task: { id, type: 'noop', title: `t${i}`, description: null, priority, payload: {}, maxAttempts: 1, runAt: null, correlationId: `relay-${i}` },
        dispatch: routingKey ? { ...dispatch, routingKey } : dispatch,
      };
    });
    for (let i = 0; i < items.length; i += 500) await repository.createWithDispatch(database, items.slice(i, i + 500));
    return items.map((i) => i.task.id);
  };
  const unpublished = async (ids: string[]) => {
    const { rows } = await suite.sql.query('SELECT count(*)::int AS n FROM outbox WHERE task_id = ANY($1) AND published_at IS NULL', [ids]);
    return rows[0].n as number;
  };
  /** Takes every message out of the work queues. */
  const drainQueues = async (): Promise<TaskMessage[]> => {
    const messages = [];
    for (const queue of QUEUES) messages.push(...(await suite.drainQueue(queue)));
    return messages.map((m) => JSON.parse(m.content.toString()) as TaskMessage);
  };
  const startRelay = async (env: Record<string, string> = {}) => {
    const relay = await suite.startRelay(env);
    started.push(relay);
    return relay;
  };

  beforeAll(async () => {
    suite = await Suite.create('relay');
    pool = createPool(suite.config(), { size: 4 });
    database = new DatabaseService(pool);
    // Declare the topology once so the queues exist before the first count.
    await (await suite.startRelay()).close();
  });

  afterEach(async () => {
    for (const relay of started.splice(0)) await suite.stop(relay);
    await drainQueues();
  });

  afterAll(async () => {
    await pool.end();
    await suite.teardown();
  });

  it('publishes a batch, marks the rows published and the tasks PENDING', async () => {
    const ids = await insertTasks(30);
    await startRelay({ OUTBOX_BATCH_SIZE: '10' });
    await eventually(async () => (await unpublished(ids)) === 0, 15_000, 'every row to be published');

    const { rows } = await suite.sql.query('SELECT status, count(*)::int AS n FROM tasks WHERE id = ANY($1) GROUP BY status', [ids]);
    expect(rows).toEqual([{ status: 'PENDING', n: 30 }]);
    const messages = await drainQueues();
    expect(messages.map((m) => m.taskId).sort()).toEqual([...ids].sort());
    expect(messages.every((m) => m.attempt === 1)).toBe(true);
  });

  it('routes each task to the queue of its priority', async () => {
    const ids = await insertTasks(3);
    await startRelay();
    await eventually(async () => (await unpublished(ids)) === 0, 15_000, 'every row to be published');
    expect(await suite.queueDepth('tasks.high')).toBe(1);
    expect(await suite.queueDepth('tasks.medium')).toBe(1);
    expect(await suite.queueDepth('tasks.low')).toBe(1);
  });

  it('publishes each of 1,000 rows exactly once with two relays side by side', async () => {
    const ids = await insertTasks(1000);
    await Promise.all([startRelay({ OUTBOX_BATCH_SIZE: '25' }), startRelay({ OUTBOX_BATCH_SIZE: '25' })]);
    await eventually(async () => (await unpublished(ids)) === 0, 60_000, 'every row to be published');

    const messages = await drainQueues();
    const perTask = new Map<string, number>();
    for (const m of messages) perTask.set(m.taskId, (perTask.get(m.taskId) ?? 0) + 1);
    expect(messages).toHaveLength(1000);
    expect(perTask.size).toBe(1000);
    expect([...perTask.values()].every((n) => n === 1)).toBe(true);
  });

  it('keeps the rows while RabbitMQ cannot be reached and publishes them once it can', async () => {
    const proxy = new TcpProxy(5672);
    const port = await proxy.reservePort();
    try {
      await startRelay({ RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${port}/${suite.vhost}` });
      const ids = await insertTasks(20);
      await new Promise((resolve) => setTimeout(resolve, 1500));

      expect(await unpublished(ids)).toBe(20);
      const { rows } = await suite.sql.query('SELECT max(attempts)::int AS attempts FROM outbox WHERE task_id = ANY($1)', [ids]);
      expect(rows[0].attempts).toBe(0);

      await proxy.open();
      await eventually(async () => (await unpublished(ids)) === 0, 20_000, 'the rows to be published after the broker came back');
      const messages = await drainQueues();
      expect(new Set(messages.map((m) => m.taskId))).toEqual(new Set(ids));
    } finally {
      await proxy.close();
    }
  });

  it('wakes the relay with a NOTIFY when the outbox was empty, and stays quiet while older rows wait', async () => {
    const listener = await suite.pgClient();
    const notified: string[] = [];
    listener.on('notification', (n) => notified.push(n.channel));
    await listener.query('LISTEN outbox_pending');
    try {
      const settle = () => new Promise((resolve) => setTimeout(resolve, 300));
      const [first] = await insertTasks(1);
      await settle();
      expect(notified).toEqual(['outbox_pending']);

      // The first row is still due and unpublished (no relay runs): a relay would be draining.
      await insertTasks(1);
      await settle();
      expect(notified).toHaveLength(1);

      await suite.sql.query('UPDATE outbox SET published_at = now() WHERE published_at IS NULL AND task_id IS NOT NULL AND task_id <> $1', [first]);
      await suite.sql.query('UPDATE outbox SET published_at = now() WHERE task_id = $1', [first]);
      await insertTasks(1);
      await settle();
      expect(notified).toHaveLength(2);
    } finally {
      await listener.end();
      await suite.sql.query('UPDATE outbox SET published_at = now() WHERE published_at IS NULL');
    }
  });

  it('counts failed publishes and, after OUTBOX_MAX_ATTEMPTS, fails the row and its task with a readable error', async () => {
    // No queue is bound to this routing key: the broker returns the message (mandatory).
    const [id] = await insertTasks(1, 'tasks.nowhere');
    await startRelay({ OUTBOX_MAX_ATTEMPTS: '2' });
    const task = await eventually(
      async () => {
        const { rows } = await suite.sql.query('SELECT status, error FROM tasks WHERE id = $1', [id]);
        return rows[0].status === 'FAILED' ? rows[0] : undefined;
      },
      15_000,
      'the task to fail',
    );
    expect(task.error).toMatch(/dispatch gave up after 2 attempts: .*unroutable/);
    const { rows } = await suite.sql.query('SELECT attempts, failed_at, published_at, last_error FROM outbox WHERE task_id = $1', [id]);
    expect(rows[0]).toMatchObject({ attempts: 2, published_at: null });
    expect(rows[0].failed_at).not.toBeNull();
  });
});

import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type pg from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource, createPool, DatabaseService, executorOf, TaskRepository } from '#database';
import { dispatchMessage } from '#messaging';
import { TaskPriority } from '#tasks';
import { type ApiUnderTest, Suite } from './support/suite.js';

/** A task row exists exactly when its outbox row was written: one transaction, and a failure leaves neither. */
describe('task and outbox atomicity', () => {
  let suite: Suite;
  let api: ApiUnderTest;
  let dataSource: DataSource;
  let pool: pg.Pool;
  const repository = new TaskRepository();

  const newTask = (title: string) => {
    const id = randomUUID();
    return {
      task: { id, type: 'noop', title, description: null, priority: TaskPriority.LOW, payload: {}, maxAttempts: 1, runAt: null, correlationId: `c-${title}` },
      dispatch: dispatchMessage({ taskId: id, type: 'noop', priority: TaskPriority.LOW, correlationId: `c-${title}` }),
    };
  };
  const counts = async () => {
    const { rows } = await suite.sql.query('SELECT (SELECT count(*) FROM tasks)::int AS tasks, (SELECT count(*) FROM outbox)::int AS outbox');
    return rows[0] as { tasks: number; outbox: number };
  };

  beforeAll(async () => {
    suite = await Suite.create('atomicity');
    api = await suite.startApi();
    dataSource = await createDataSource(suite.config(), { poolSize: 2 });
    await dataSource.initialize();
    pool = createPool(suite.config(), { size: 2 });
  });

  afterAll(async () => {
    await dataSource.destroy();
    await pool.end();
    await suite.teardown();
  });

  it('survives a connection cut between the statements of a transaction: the transaction fails, the pool goes on', async () => {
    const database = new DatabaseService(pool);
    const cut = database.transaction(async (tx) => {
      const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await suite.sql.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
      // Between two statements, as the relay is while it waits for its confirms: the client sees
      // its socket end with no query running, an 'error' event that must not end the process.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await tx.query('SELECT 1');
    });
    await expect(cut).rejects.toThrow();
    const { rows } = await database.query<{ one: number }>('SELECT 1 AS one');
    expect(rows[0].one).toBe(1);
  });

  it('writes one outbox row per task, in one statement', async () => {
    const items = [newTask('a'), newTask('b'), newTask('c')];
    const created = await repository.createWithDispatch(new DatabaseService(pool), items);
    expect(created.map((t) => t.id)).toEqual(items.map((i) => i.task.id));
    const { rows } = await suite.sql.query('SELECT task_id, kind, message_id FROM outbox WHERE task_id = ANY($1)', [items.map((i) => i.task.id)]);
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.kind === 'dispatch')).toBe(true);
  });

  it('leaves neither row when the caller’s transaction fails after the task insert', async () => {
    const before = await counts();
    const item = newTask('rolled-back');
    await expect(
      dataSource.transaction(async (manager) => {
        await repository.createWithDispatch(executorOf(manager), [item]);
        throw new Error('the caller’s own write failed');
      }),
    ).rejects.toThrow('the caller’s own write failed');
    expect(await counts()).toEqual(before);
  });

  it('commits the task with the caller’s own data in the caller’s transaction', async () => {
    await suite.sql.query('CREATE TABLE IF NOT EXISTS orders (id text PRIMARY KEY)');
    const item = newTask('with-order');
    await dataSource.transaction(async (manager) => {
      await manager.query('INSERT INTO orders (id) VALUES ($1)', ['order-1']);
      await repository.createWithDispatch(executorOf(manager), [item]);
    });
    const { rows } = await suite.sql.query(
      'SELECT (SELECT count(*) FROM orders)::int AS orders, (SELECT count(*) FROM outbox WHERE task_id = $1)::int AS outbox',
      [item.task.id],
    );
    expect(rows[0]).toEqual({ orders: 1, outbox: 1 });
  });

  it('leaves neither row when the outbox insert fails inside POST /tasks, and answers a problem without internals', async () => {
    await suite.sql.query(`
      CREATE FUNCTION test_refuse_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'outbox refused by the test'; END $$;
      CREATE TRIGGER test_refuse_outbox BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION test_refuse_outbox();
    `);
    try {
      const before = await counts();
      const res = await request(api.getHttpServer()).post('/api/v1/tasks').send({ title: 'doomed' }).expect(500);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).toMatchObject({ status: 500, code: 'INTERNAL_ERROR' });
      expect(JSON.stringify(res.body)).not.toMatch(/outbox refused|trigger|INSERT|SELECT/i);
      expect(await counts()).toEqual(before);
      // The process keeps serving.
      await request(api.getHttpServer()).get('/health').expect(200);
    } finally {
      await suite.sql.query('DROP TRIGGER test_refuse_outbox ON outbox; DROP FUNCTION test_refuse_outbox()');
    }
  });
});

import request from 'supertest';
import { TASK_HANDLERS } from '#tasks';
import { type ApiUnderTest, Suite } from '../../test/integration/support/suite.js';
import { taskClient } from '../../test/integration/support/task-client.js';
import { WorkerModule } from '../../apps/worker/src/worker.module.js';
import { CREATE_EXAMPLE_ROWS } from './insert-rows.sql.js';
import { RowsInsertHandler } from './rows-insert.handler.js';

/**
 * The `rows.insert` example on the real Postgres and RabbitMQ: forty order tasks created in one
 * request, one of them with a sku on two lines. The worker's WORKER_PREFETCH holds a full batch
 * (100), as the type requires.
 */
describe('examples: rows.insert', () => {
  const handlers = [...TASK_HANDLERS, RowsInsertHandler];
  let suite: Suite;
  let api: ApiUnderTest;
  const tasks = taskClient(() => api, 40_000);

  beforeAll(async () => {
    suite = await Suite.create('example_rows');
    await suite.sql.query(CREATE_EXAMPLE_ROWS);
    api = await suite.startApi({}, handlers);
    await suite.startRelay({}, handlers);
    await suite.startWorker({ WORKER_PREFETCH: '100' }, handlers);
  });

  afterAll(async () => {
    await suite?.teardown();
  });

  it('writes the rows of every good task, and fails the task with a repeated sku alone', async () => {
    const orders = Array.from({ length: 40 }, (_, i) => ({
      title: `order ${i}`,
      type: 'rows.insert',
      payload: {
        lines:
          i === 7
            ? [
                { sku: 'A-1', quantity: 1 },
                { sku: 'A-1', quantity: 2 },
              ]
            : [
                { sku: `SKU-${i}`, quantity: i + 1 },
                { sku: 'BOX', quantity: 1 },
              ],
      },
    }));
    const created = await request(api.getHttpServer()).post('/api/v1/tasks/batch').send({ tasks: orders }).expect(201);
    const ids = (created.body as { tasks: { id: string }[] }).tasks.map((t) => t.id);

    const bad = await tasks.until(ids[7], 'FAILED');
    for (const [i, id] of ids.entries()) if (i !== 7) expect((await tasks.until(id, 'COMPLETED')).result).toEqual({ rows: 2 });

    expect(bad.attempts).toBe(1);
    expect(bad.error).toContain('sku A-1 appears on two lines');
    const { rows } = await suite.sql.query<{ task_id: string; n: number; quantity: number }>(
      'SELECT task_id, count(*)::int AS n, sum(quantity)::int AS quantity FROM example_rows GROUP BY task_id',
    );
    expect(rows).toHaveLength(39);
    expect(rows.find((r) => r.task_id === ids[3])).toEqual({ task_id: ids[3], n: 2, quantity: 5 });
    expect(rows.find((r) => r.task_id === ids[7])).toBeUndefined();
    await suite.drainQueue('tasks.dlq');
  });

  it('refuses a payload that is not a list of order lines at the API', async () => {
    const { body } = await request(api.getHttpServer())
      .post('/api/v1/tasks')
      .send({ title: 'bad order', type: 'rows.insert', payload: { lines: [{ sku: 'lower', quantity: 0 }] } })
      .expect(400);

    expect(JSON.stringify(body.errors)).toContain('sku must be 1 to 40 uppercase letters, digits or dashes');
  });

  it('stops a worker whose WORKER_PREFETCH cannot hold a batch of 100', () => {
    expect(() => WorkerModule.forRoot(suite.config({ WORKER_PREFETCH: '10' }), handlers)).toThrow('WORKER_PREFETCH is 10');
  });
});

import { randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import request, { type Response } from 'supertest';
import { MetricsService } from '#observability';
import type { AppProcess } from './support/app-process.js';
import { type ApiUnderTest, Suite, eventually } from './support/suite.js';

/**
 * The API of README and documents/api.md, row by row, through HTTP on the real Postgres and RabbitMQ: every call of the
 * REST API with its success and its errors, idempotency keys, the OpenAPI document, and what
 * sits around the routes (API keys, rate limit, helmet, CORS, 405, problem documents).
 *
 * The suite's own worker consumes tasks.high and tasks.medium only: a LOW task stops at PENDING
 * with its message in tasks.low until a test starts a worker for that queue. A task whose runAt
 * is a week ahead stays NEW for the whole suite.
 */
// Response bodies are JSON whose shape is what the tests check.
type Json = Record<string, any>;

const BASE = '/api/v1';
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
const TASK_FIELDS = [
  'attempts',
  'completedAt',
  'correlationId',
  'createdAt',
  'description',
  'error',
  'id',
  'maxAttempts',
  'nextRetryAt',
  'payload',
  'priority',
  'progress',
  'result',
  'runAt',
  'startedAt',
  'status',
  'title',
  'type',
  'updatedAt',
];
const STATUSES = ['NEW', 'PENDING', 'IN_PROGRESS', 'RETRYING', 'COMPLETED', 'FAILED', 'CANCELLED'];
const PRIORITIES = ['LOW', 'MEDIUM', 'HIGH'];
const QUEUES = ['tasks.high', 'tasks.medium', 'tasks.low'];
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'];

/** A runAt the suite never reaches: the task stays NEW. */
const farAway = () => new Date(Date.now() + 7 * 24 * 3600_000).toISOString();
const unique = (label: string) => `${label} ${randomUUID().slice(0, 8)}`;

/** An RFC 9457 problem with the request id of its own response (documents/api.md, "Errors"). */
function expectProblem(res: Response, status: number, code?: string): Json {
  expect({ status: res.status, body: res.body }).toMatchObject({ status });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.headers['x-request-id']).toEqual(expect.any(String));
  expect(res.body).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    status,
    detail: expect.any(String),
    requestId: res.headers['x-request-id'],
  });
  if (code) expect(res.body.code).toBe(code);
  return res.body;
}

const fieldsOf = (problem: Json): string[] => (problem.errors ?? []).map((e: { field: string }) => e.field);

describe('REST API', () => {
  let suite: Suite;
  let api: ApiUnderTest;
  let relay: INestApplicationContext;

  const http = () => request(api.getHttpServer());
  const create = async (body: Json, headers: Record<string, string> = {}): Promise<Json> => {
    const res = await http().post(`${BASE}/tasks`).set(headers).send(body);
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 201 });
    return res.body;
  };
  const createBatch = async (tasks: Json[]): Promise<Json[]> => {
    const res = await http().post(`${BASE}/tasks/batch`).send({ tasks });
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 201 });
    return res.body.tasks;
  };
  const get = async (id: string): Promise<Json> => (await http().get(`${BASE}/tasks/${id}`).expect(200)).body;
  const until = (id: string, status: string, timeoutMs = 15_000, also: (task: Json) => boolean = () => true) =>
    eventually(
      async () => {
        const task = await get(id);
        return task.status === status && also(task) ? task : undefined;
      },
      timeoutMs,
      `task ${id} to be ${status}`,
    );
  const rowCounts = async () => {
    const { rows } = await suite.sql.query('SELECT (SELECT count(*) FROM tasks)::int AS tasks, (SELECT count(*) FROM outbox)::int AS outbox');
    return rows[0] as { tasks: number; outbox: number };
  };
  const countTitled = async (pattern: string) => {
    const { rows } = await suite.sql.query('SELECT count(*)::int AS n FROM tasks WHERE title LIKE $1', [pattern]);
    return rows[0].n as number;
  };
  /**
   * Waits until nothing moves on its own: no task running or waiting for a retry, no task due
   * for dispatch, nothing queued but LOW tasks (no worker of this suite takes tasks.low), no
   * outbox row due. Counts taken then stay put until the test acts.
   */
  const quiet = () =>
    eventually(
      async () => {
        const { rows } = await suite.sql.query(`
          SELECT
            (SELECT count(*) FROM tasks
              WHERE status IN ('IN_PROGRESS', 'RETRYING')
                 OR (status = 'NEW' AND (run_at IS NULL OR run_at <= now()))
                 OR (status = 'PENDING' AND priority <> 'LOW'))::int AS busy,
            (SELECT count(*) FROM outbox WHERE published_at IS NULL AND failed_at IS NULL AND available_at <= now())::int AS due`);
        return rows[0].busy === 0 && rows[0].due === 0;
      },
      25_000,
      'the suite to be quiet',
    );

  beforeAll(async () => {
    suite = await Suite.create('api', { RETRY_DELAYS_SECONDS: '2', SHUTDOWN_TIMEOUT_SECONDS: '5' });
    api = await suite.startApi();
    // Listening on a port of its own, so concurrent supertest requests share one server.
    await api.app.listen(0, '127.0.0.1');
    relay = await suite.startRelay();
    await suite.startWorker({ WORKER_QUEUES: 'tasks.high,tasks.medium' });
  });

  afterAll(async () => {
    await suite.teardown();
  });

  describe('POST /api/v1/tasks', () => {
    it('answers 201 with Location and the whole task, and writes the task with its outbox row', async () => {
      const title = unique('create');
      const res = await http()
        .post(`${BASE}/tasks`)
        .send({ title, type: 'sleep', description: 'a nap', priority: 'HIGH', payload: { ms: 1 } })
        .expect(201);

      expect(res.headers.location).toBe(`${BASE}/tasks/${res.body.id}`);
      expect(Object.keys(res.body).sort()).toEqual(TASK_FIELDS);
      expect(res.body).toMatchObject({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        type: 'sleep',
        title,
        description: 'a nap',
        priority: 'HIGH',
        payload: { ms: 1 },
        status: 'NEW',
        result: null,
        error: null,
        attempts: 0,
        maxAttempts: 4,
        runAt: null,
        nextRetryAt: null,
        startedAt: null,
        completedAt: null,
      });
      const { rows } = await suite.sql.query("SELECT kind FROM outbox WHERE task_id = $1 AND kind = 'dispatch'", [res.body.id]);
      expect(rows).toHaveLength(1);
    });

    it('honours maxAttempts: the task is tried that many times, then FAILED', async () => {
      const task = await create({ title: unique('two tries'), type: 'fail', maxAttempts: 2, payload: { message: 'broken on purpose' } });
      expect(task.maxAttempts).toBe(2);
      const failed = await until(task.id, 'FAILED', 20_000);
      expect(failed).toMatchObject({ attempts: 2, maxAttempts: 2, error: 'broken on purpose' });
    });

    it('keeps a task with runAt ahead NEW while relay and worker run, and dispatches one due in a second after that time', async () => {
      const later = await create({ title: unique('next week'), runAt: farAway() });
      const soonAt = new Date(Date.now() + 1_500).toISOString();
      const soon = await create({ title: unique('in a second'), runAt: soonAt });
      expect(soon).toMatchObject({ status: 'NEW', runAt: soonAt });

      const done = await until(soon.id, 'COMPLETED');
      expect(Date.parse(done.startedAt)).toBeGreaterThanOrEqual(Date.parse(soonAt));
      const published = await suite.sql.query(
        "SELECT published_at >= run_at AS after_run_at FROM outbox JOIN tasks t ON t.id = task_id WHERE task_id = $1 AND kind = 'dispatch'",
        [soon.id],
      );
      expect(published.rows).toEqual([{ after_run_at: true }]);

      expect(await get(later.id)).toMatchObject({ status: 'NEW', attempts: 0, startedAt: null });
      const waiting = await suite.sql.query('SELECT published_at FROM outbox WHERE task_id = $1', [later.id]);
      expect(waiting.rows).toEqual([{ published_at: null }]);
    });

    it('echoes X-Request-ID and stores it as the correlationId', async () => {
      const res = await http()
        .post(`${BASE}/tasks`)
        .set('X-Request-ID', 'api-suite-create-1')
        .send({ title: unique('correlated') })
        .expect(201);
      expect(res.headers['x-request-id']).toBe('api-suite-create-1');
      expect(res.body.correlationId).toBe('api-suite-create-1');
      const { rows } = await suite.sql.query('SELECT correlation_id FROM tasks WHERE id = $1', [res.body.id]);
      expect(rows).toEqual([{ correlation_id: 'api-suite-create-1' }]);
    });

    it('answers 400 (validation), 413 (body over the limit) and 415 (not JSON) with problems, writing nothing', async () => {
      await quiet();
      const before = await rowCounts();
      expectProblem(await http().post(`${BASE}/tasks`).send({ title: '' }), 400, 'VALIDATION_FAILED');
      expectProblem(await http().post(`${BASE}/tasks`).set('content-type', 'text/plain').send('title=hello'), 415, 'UNSUPPORTED_MEDIA_TYPE');
      expectProblem(
        await http()
          .post(`${BASE}/tasks`)
          .send({ title: 'big', description: 'x'.repeat(1_100_000) }),
        413,
        'PAYLOAD_TOO_LARGE',
      );
      expect(await rowCounts()).toEqual(before);
    });
  });

  describe('Idempotency-Key', () => {
    it('on POST /tasks: the same key and body answer 200 with the same task and Idempotent-Replayed, and create one row', async () => {
      const key = `same-${randomUUID()}`;
      const body = { title: unique('idempotent'), priority: 'HIGH' };
      const first = await http().post(`${BASE}/tasks`).set('Idempotency-Key', key).send(body).expect(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();

      const again = await http().post(`${BASE}/tasks`).set('Idempotency-Key', key).send(body);
      expect(again.status).toBe(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body.id).toBe(first.body.id);
      expect(again.body.title).toBe(body.title);
      expect(await countTitled(body.title)).toBe(1);
    });

    it('on POST /tasks: the same key with another body is a 409 problem IDEMPOTENCY_KEY_REUSED, and nothing is written', async () => {
      const key = `reused-${randomUUID()}`;
      await http()
        .post(`${BASE}/tasks`)
        .set('Idempotency-Key', key)
        .send({ title: unique('original') })
        .expect(201);
      await quiet();
      const before = await rowCounts();

      const other = unique('another body');
      const res = await http().post(`${BASE}/tasks`).set('Idempotency-Key', key).send({ title: other });
      expectProblem(res, 409, 'IDEMPOTENCY_KEY_REUSED');
      expect(await rowCounts()).toEqual(before);
      expect(await countTitled(other)).toBe(0);
    });

    it('on POST /tasks: five concurrent requests with one key create one task, and every answer names it', async () => {
      const key = `race-${randomUUID()}`;
      const body = { title: unique('raced'), runAt: farAway() };
      const answers = await Promise.all(Array.from({ length: 5 }, () => http().post(`${BASE}/tasks`).set('Idempotency-Key', key).send(body)));

      expect(answers.map((a) => a.status).sort((a, b) => a - b)).toEqual([200, 200, 200, 200, 201]);
      expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
      expect(await countTitled(body.title)).toBe(1);
    });

    it('on POST /tasks: the same body with its fields in another order is the same body', async () => {
      const key = `order-${randomUUID()}`;
      const title = unique('ordered');
      const runAt = farAway();
      const first = await http()
        .post(`${BASE}/tasks`)
        .set('Idempotency-Key', key)
        .send({ title, type: 'fail', priority: 'LOW', runAt, payload: { times: 1, message: 'm' } })
        .expect(201);
      const reordered = await http()
        .post(`${BASE}/tasks`)
        .set('Idempotency-Key', key)
        .send({ payload: { message: 'm', times: 1 }, runAt, priority: 'LOW', type: 'fail', title });
      expect(reordered.status).toBe(200);
      expect(reordered.headers['idempotent-replayed']).toBe('true');
      expect(reordered.body.id).toBe(first.body.id);
      expect(await countTitled(title)).toBe(1);
    });

    it('on POST /tasks/batch: replays the same tasks in order for the same body, 409 for another, one set under concurrency, any field order', async () => {
      const key = `batch-${randomUUID()}`;
      const prefix = unique('idem batch');
      const runAt = farAway();
      const body = { tasks: [0, 1, 2].map((i) => ({ title: `${prefix} ${i}`, priority: 'LOW', runAt })) };
      const first = await http().post(`${BASE}/tasks/batch`).set('Idempotency-Key', key).send(body).expect(201);
      const ids = first.body.tasks.map((t: Json) => t.id);

      const again = await http()
        .post(`${BASE}/tasks/batch`)
        .set('Idempotency-Key', key)
        .send({ tasks: body.tasks.map((t) => ({ runAt: t.runAt, priority: t.priority, title: t.title })) });
      expect(again.status).toBe(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body.tasks.map((t: Json) => t.id)).toEqual(ids);

      await quiet();
      const before = await rowCounts();
      const conflict = await http()
        .post(`${BASE}/tasks/batch`)
        .set('Idempotency-Key', key)
        .send({ tasks: [{ title: `${prefix} other`, runAt }] });
      expectProblem(conflict, 409, 'IDEMPOTENCY_KEY_REUSED');
      expect(await rowCounts()).toEqual(before);

      const raceKey = `batch-race-${randomUUID()}`;
      const racePrefix = unique('raced batch');
      const raceBody = { tasks: [0, 1].map((i) => ({ title: `${racePrefix} ${i}`, runAt })) };
      const answers = await Promise.all(Array.from({ length: 5 }, () => http().post(`${BASE}/tasks/batch`).set('Idempotency-Key', raceKey).send(raceBody)));
      expect(answers.map((a) => a.status).sort((a, b) => a - b)).toEqual([200, 200, 200, 200, 201]);
      expect(new Set(answers.map((a) => a.body.tasks.map((t: Json) => t.id).join(','))).size).toBe(1);
      expect(await countTitled(`${racePrefix}%`)).toBe(2);
      expect(await countTitled(`${prefix}%`)).toBe(3);
    });

    it('keeps /tasks and /tasks/batch apart: one key used on both creates on both', async () => {
      const key = `scoped-${randomUUID()}`;
      const single = await http()
        .post(`${BASE}/tasks`)
        .set('Idempotency-Key', key)
        .send({ title: unique('scoped single'), runAt: farAway() });
      const batch = await http()
        .post(`${BASE}/tasks/batch`)
        .set('Idempotency-Key', key)
        .send({ tasks: [{ title: unique('scoped batch'), runAt: farAway() }] });
      expect(single.status).toBe(201);
      expect(batch.status).toBe(201);
      expect(batch.headers['idempotent-replayed']).toBeUndefined();
      expect(batch.body.tasks[0].id).not.toBe(single.body.id);
    });
  });

  describe('POST /api/v1/tasks/batch', () => {
    it('answers 201 with the tasks in input order, all written with their outbox rows', async () => {
      const prefix = unique('batch');
      const input = [
        { title: `${prefix} 0`, type: 'sleep', payload: { ms: 1 }, priority: 'HIGH' },
        { title: `${prefix} 1` },
        { title: `${prefix} 2`, type: 'fail', payload: { permanent: true }, maxAttempts: 1 },
        { title: `${prefix} 3`, priority: 'LOW', runAt: farAway() },
        { title: `${prefix} 4`, description: 'last' },
      ];
      const res = await http().post(`${BASE}/tasks/batch`).set('X-Request-ID', 'api-suite-batch-1').send({ tasks: input }).expect(201);

      expect(Object.keys(res.body)).toEqual(['tasks']);
      expect(res.body.tasks.map((t: Json) => t.title)).toEqual(input.map((t) => t.title));
      expect(res.body.tasks.map((t: Json) => t.type)).toEqual(['sleep', 'noop', 'fail', 'noop', 'noop']);
      expect(res.body.tasks.every((t: Json) => t.status === 'NEW' && t.correlationId === 'api-suite-batch-1')).toBe(true);
      const ids = res.body.tasks.map((t: Json) => t.id);
      const { rows } = await suite.sql.query(
        `SELECT count(DISTINCT t.id)::int AS tasks, count(o.id)::int AS outbox
           FROM tasks t JOIN outbox o ON o.task_id = t.id AND o.kind = 'dispatch'
          WHERE t.id = ANY($1)`,
        [ids],
      );
      expect(rows[0]).toEqual({ tasks: 5, outbox: 5 });
    });

    it('accepts 1,000 tasks in one call', async () => {
      const prefix = unique('thousand');
      const runAt = farAway();
      const tasks = Array.from({ length: 1000 }, (_, i) => ({ title: `${prefix} ${i}`, runAt }));
      const created = await createBatch(tasks);
      expect(created).toHaveLength(1000);
      expect(created[999].title).toBe(`${prefix} 999`);
      const { rows } = await suite.sql.query(
        `SELECT count(DISTINCT t.id)::int AS tasks, count(o.id)::int AS outbox
           FROM tasks t JOIN outbox o ON o.task_id = t.id AND o.kind = 'dispatch'
          WHERE t.title LIKE $1`,
        [`${prefix} %`],
      );
      expect(rows[0]).toEqual({ tasks: 1000, outbox: 1000 });
    });

    it('refuses 0 and 1,001 tasks with a 400 naming tasks, and writes nothing', async () => {
      await quiet();
      const before = await rowCounts();
      expect(fieldsOf(expectProblem(await http().post(`${BASE}/tasks/batch`).send({ tasks: [] }), 400))).toContain('tasks');
      const tooMany = Array.from({ length: 1001 }, (_, i) => ({ title: `too many ${i}`, runAt: farAway() }));
      expect(fieldsOf(expectProblem(await http().post(`${BASE}/tasks/batch`).send({ tasks: tooMany }), 400))).toContain('tasks');
      expect(await rowCounts()).toEqual(before);
    });

    it('refuses a batch with one bad payload with a 400 naming tasks[2].payload.ms, and writes nothing', async () => {
      await quiet();
      const before = await rowCounts();
      const prefix = unique('one bad payload');
      const tasks = Array.from({ length: 8 }, (_, i) => ({ title: `${prefix} ${i}`, type: 'sleep', payload: { ms: i === 2 ? -1 : 10 } }));
      const res = await http().post(`${BASE}/tasks/batch`).send({ tasks });
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(fieldsOf(res.body)).toEqual(['tasks[2].payload.ms']);
      expect(await rowCounts()).toEqual(before);
      expect(await countTitled(`${prefix}%`)).toBe(0);
    });

    it('refuses a batch with several bad items with a 400 naming the index and field of each, and writes nothing', async () => {
      await quiet();
      const before = await rowCounts();
      const prefix = unique('several bad');
      const tasks: Json[] = Array.from({ length: 10 }, (_, i) => ({ title: `${prefix} ${i}` }));
      tasks[1] = { title: '   ' };
      tasks[2] = { title: `${prefix} 2`, type: 'sleep', payload: { ms: 'soon' } };
      tasks[4] = { title: `${prefix} 4`, priority: 'URGENT' };
      tasks[6] = { title: `${prefix} 6`, type: 'email.send' };
      tasks[9] = { title: `${prefix} 9`, maxAttempts: 0 };
      const res = await http().post(`${BASE}/tasks/batch`).send({ tasks });
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect([...new Set(fieldsOf(res.body))].sort()).toEqual([
        'tasks[1].title',
        'tasks[2].payload.ms',
        'tasks[4].priority',
        'tasks[6].type',
        'tasks[9].maxAttempts',
      ]);
      expect(await rowCounts()).toEqual(before);
      expect(await countTitled(`${prefix}%`)).toBe(0);
    });
  });

  describe('GET /api/v1/tasks', () => {
    /** Every page of a query, following nextCursor. */
    const walk = async (query: Record<string, string>): Promise<{ ids: string[]; pages: number }> => {
      const ids: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: Response = await http()
          .get(`${BASE}/tasks`)
          .query({ ...query, ...(cursor ? { cursor } : {}) })
          .expect(200);
        ids.push(...res.body.items.map((t: Json) => t.id));
        cursor = res.body.nextCursor;
        pages++;
        expect(pages).toBeLessThan(200);
      } while (cursor);
      return { ids, pages };
    };
    const idsInOrder = async (where: string, params: unknown[] = []) => {
      const { rows } = await suite.sql.query(`SELECT id FROM tasks WHERE ${where} ORDER BY created_at DESC, id DESC`, params);
      return rows.map((r) => r.id as string);
    };

    let httpTasks: Json[];
    let cancelled: Json;
    let completed: Json;

    beforeAll(async () => {
      const runAt = farAway();
      // One batch (one created_at for all, so the cursor must break ties by id) and a few singles.
      httpTasks = await createBatch(
        Array.from({ length: 17 }, (_, i) => ({
          title: `http ${i}`,
          type: 'http.request',
          priority: PRIORITIES[i % 3],
          payload: { url: 'http://127.0.0.1:9/never', method: 'GET' },
          runAt,
        })),
      );
      for (let i = 0; i < 6; i++) {
        httpTasks.push(
          await create({ title: `http single ${i}`, type: 'http.request', priority: 'HIGH', payload: { url: 'http://127.0.0.1:9/x', method: 'POST' }, runAt }),
        );
      }
      cancelled = await create({ title: unique('to cancel'), runAt });
      await http().delete(`${BASE}/tasks/${cancelled.id}`).expect(200);
      completed = await create({ title: unique('to complete'), priority: 'HIGH' });
      await until(completed.id, 'COMPLETED');
    });

    it('lists newest first, 20 by default, with nextCursor', async () => {
      const res = await http().get(`${BASE}/tasks`).expect(200);
      expect(Object.keys(res.body).sort()).toEqual(['items', 'nextCursor']);
      expect(res.body.items).toHaveLength(20);
      expect(res.body.nextCursor).toEqual(expect.any(String));
      expect(res.body.items.map((t: Json) => t.id)).toEqual((await idsInOrder('true')).slice(0, 20));
      expect(Object.keys(res.body.items[0]).sort()).toEqual(TASK_FIELDS);
    });

    it('takes a limit from 1 to 100', async () => {
      expect((await http().get(`${BASE}/tasks?limit=1`).expect(200)).body.items).toHaveLength(1);
      expect((await http().get(`${BASE}/tasks?limit=100`).expect(200)).body.items).toHaveLength(100);
    });

    it('filters by type, priority and status, one value or a comma list', async () => {
      const byType = await walk({ type: 'http.request', limit: '100' });
      expect(byType.ids).toEqual(await idsInOrder("type = 'http.request'"));
      expect(byType.ids).toHaveLength(httpTasks.length);

      const byTypes = await walk({ type: 'http.request,fail', limit: '100' });
      expect(byTypes.ids).toEqual(await idsInOrder("type IN ('http.request', 'fail')"));

      const highHttp = await walk({ type: 'http.request', priority: 'HIGH', limit: '100' });
      expect(highHttp.ids).toEqual(await idsInOrder("type = 'http.request' AND priority = 'HIGH'"));
      expect(highHttp.ids).toHaveLength(httpTasks.filter((t) => t.priority === 'HIGH').length);

      const notMedium = await walk({ type: 'http.request', priority: 'HIGH,LOW', limit: '100' });
      expect(notMedium.ids).toEqual(await idsInOrder("type = 'http.request' AND priority IN ('HIGH', 'LOW')"));

      const one = await http().get(`${BASE}/tasks`).query({ status: 'CANCELLED', limit: '100' }).expect(200);
      expect(one.body.items.every((t: Json) => t.status === 'CANCELLED')).toBe(true);
      expect(one.body.items.map((t: Json) => t.id)).toContain(cancelled.id);

      const finished = await http().get(`${BASE}/tasks`).query({ status: 'CANCELLED,COMPLETED', priority: 'HIGH', limit: '100' }).expect(200);
      expect(finished.body.items.every((t: Json) => ['CANCELLED', 'COMPLETED'].includes(t.status) && t.priority === 'HIGH')).toBe(true);
      expect(finished.body.items.map((t: Json) => t.id)).toContain(completed.id);
      expect(finished.body.items.map((t: Json) => t.id)).not.toContain(cancelled.id); // MEDIUM
    });

    it('walks every page through nextCursor with no duplicates and no gaps, and ends with a null cursor', async () => {
      const { ids, pages } = await walk({ type: 'http.request', limit: '5' });
      expect(pages).toBe(Math.ceil(httpTasks.length / 5));
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual(await idsInOrder("type = 'http.request'"));

      const all = await walk({ limit: '100' });
      expect(all.ids).toEqual(await idsInOrder('true'));
    });

    it('stays stable under inserts: page 2 continues exactly where page 1 stopped', async () => {
      const expected = await idsInOrder("type = 'http.request'");
      const page1 = await http().get(`${BASE}/tasks`).query({ type: 'http.request', limit: '5' }).expect(200);
      expect(page1.body.items.map((t: Json) => t.id)).toEqual(expected.slice(0, 5));

      const newer = await createBatch(
        Array.from({ length: 3 }, (_, i) => ({
          title: `http newer ${i}`,
          type: 'http.request',
          payload: { url: 'http://127.0.0.1:9/n', method: 'GET' },
          runAt: farAway(),
        })),
      );
      httpTasks.push(...newer);

      const page2 = await http().get(`${BASE}/tasks`).query({ type: 'http.request', limit: '5', cursor: page1.body.nextCursor }).expect(200);
      expect(page2.body.items.map((t: Json) => t.id)).toEqual(expected.slice(5, 10));
      const rest = await walk({ type: 'http.request', limit: '5', cursor: page2.body.nextCursor });
      expect(rest.ids).toEqual(expected.slice(10));
      expect(rest.ids).not.toEqual(expect.arrayContaining([newer[0].id]));
    });

    it.each([
      ['status=DONE', 'status'],
      ['status=NEW,DONE', 'status'],
      ['priority=URGENT', 'priority'],
      ['type=Not%20A%20Type', 'type'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['cursor=garbage!', 'cursor'],
      [`cursor=${Buffer.from('["yesterday","nope"]').toString('base64url')}`, 'cursor'],
      ['colour=blue', 'colour'],
    ])('refuses ?%s with a 400 problem naming %s', async (query, field) => {
      const res = await http().get(`${BASE}/tasks?${query}`);
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(fieldsOf(res.body)).toContain(field);
    });
  });

  describe('GET /api/v1/tasks/{id}, /status and /events', () => {
    it('GET /tasks/{id} answers 200 with the task', async () => {
      const created = await create({ title: unique('fetch me'), type: 'sleep', payload: { ms: 5 }, runAt: farAway() });
      const res = await http().get(`${BASE}/tasks/${created.id}`).expect(200);
      expect(res.body).toEqual(created);
      // Ids are case-insensitive UUIDs.
      expect((await http().get(`${BASE}/tasks/${created.id.toUpperCase()}`).expect(200)).body.id).toBe(created.id);
    });

    it('GET /tasks/{id}/status answers 200 with exactly id, status, progress, attempts, maxAttempts, error, nextRetryAt, updatedAt', async () => {
      const created = await create({ title: unique('poll me'), priority: 'HIGH' });
      const done = await until(created.id, 'COMPLETED');
      const res = await http().get(`${BASE}/tasks/${created.id}/status`).expect(200);
      expect(Object.keys(res.body).sort()).toEqual(['attempts', 'error', 'id', 'maxAttempts', 'nextRetryAt', 'progress', 'status', 'updatedAt']);
      expect(res.body).toEqual({
        id: created.id,
        status: 'COMPLETED',
        progress: done.progress,
        attempts: 1,
        maxAttempts: 4,
        error: null,
        nextRetryAt: null,
        updatedAt: done.updatedAt,
      });
    });

    it('GET /tasks/{id}/events answers 200 with the timeline: every status change with its time, attempt, worker and error', async () => {
      const created = await create({ title: unique('timeline'), type: 'fail', maxAttempts: 2, payload: { times: 1, message: 'first try fails' } });
      await until(created.id, 'COMPLETED', 20_000);
      const res = await http().get(`${BASE}/tasks/${created.id}/events`);
      expect(res.status).toBe(200);
      expect(res.body.taskId).toBe(created.id);
      const events: Json[] = res.body.items;
      expect(events.map((e) => e.status)).toEqual(['NEW', 'PENDING', 'IN_PROGRESS', 'RETRYING', 'IN_PROGRESS', 'COMPLETED']);
      for (const event of events) {
        expect(Object.keys(event)).toEqual(expect.arrayContaining(['at', 'status', 'attempt', 'worker', 'error']));
        expect(new Date(event.at).toISOString()).toBe(event.at);
      }
      const times = events.map((e) => Date.parse(e.at));
      expect([...times].sort((a, b) => a - b)).toEqual(times);
      expect(events.find((e) => e.status === 'RETRYING')).toMatchObject({ attempt: 1, error: 'first try fails', worker: expect.any(String) });
      expect(events[events.length - 1]).toMatchObject({ status: 'COMPLETED', attempt: 2, worker: expect.any(String) });
    });

    it.each(['', '/status', '/events'])('GET /tasks/{id}%s answers 400 for an id that is not a UUID and 404 for an unknown one', async (suffix) => {
      const bad = await http().get(`${BASE}/tasks/not-a-uuid${suffix}`);
      expect(fieldsOf(expectProblem(bad, 400, 'VALIDATION_FAILED'))).toEqual(['id']);
      expectProblem(await http().get(`${BASE}/tasks/${UNKNOWN_ID}${suffix}`), 404, 'NOT_FOUND');
    });
  });

  describe('GET /api/v1/tasks/stats', () => {
    const stats = async () => (await http().get(`${BASE}/tasks/stats`).expect(200)).body as Json;
    const sqlCounts = async () => {
      const { rows } = await suite.sql.query('SELECT status, priority, count(*)::int AS n FROM tasks GROUP BY status, priority');
      const counts: Json = Object.fromEntries(STATUSES.map((s) => [s, Object.fromEntries(PRIORITIES.map((p) => [p, 0]))]));
      for (const row of rows) counts[row.status][row.priority] = row.n;
      return counts;
    };

    it('counts tasks by status and priority, and lists tasks.high, tasks.medium and tasks.low with their depth', async () => {
      await quiet();
      const before = await stats();
      expect(Object.keys(before.tasks).sort()).toEqual([...STATUSES].sort());

      await create({ title: unique('stats high 1'), priority: 'HIGH', runAt: farAway() });
      await create({ title: unique('stats high 2'), priority: 'HIGH', runAt: farAway() });
      await create({ title: unique('stats low'), priority: 'LOW', runAt: farAway() });
      const done = await create({ title: unique('stats done'), priority: 'MEDIUM' });
      await until(done.id, 'COMPLETED');
      await quiet();

      const after = await eventually(
        async () => {
          const s = await stats();
          return s.queues.every((q: Json) => typeof q.depth === 'number') ? s : undefined;
        },
        10_000,
        'queue depths',
      );
      const expected = JSON.parse(JSON.stringify(before.tasks));
      expected.NEW.HIGH += 2;
      expected.NEW.LOW += 1;
      expected.COMPLETED.MEDIUM += 1;
      expect(after.tasks).toEqual(expected);
      expect(after.tasks).toEqual(await sqlCounts());

      expect(after.outbox).toEqual({ backlog: 0, oldestAgeSeconds: 0 });
      expect(after.queues.map((q: Json) => q.queue).sort()).toEqual([...QUEUES].sort());
      for (const queue of after.queues) {
        expect(queue.depth).toBe(await suite.queueDepth(queue.queue));
        expect(typeof queue.oldestAgeSeconds).toBe('number');
      }
    });

    it('reports the outbox backlog and the age of its oldest row while the relay is stopped', async () => {
      await quiet();
      await suite.stop(relay);
      let waiting: Json = {};
      try {
        waiting = await create({ title: unique('stats backlog') });
        const first = await stats();
        expect(first.outbox.backlog).toBe(1);
        expect(first.outbox.oldestAgeSeconds).toBeGreaterThanOrEqual(0);
        await eventually(async () => (await stats()).outbox.oldestAgeSeconds > 0, 5_000, 'the backlog to age');
      } finally {
        relay = await suite.startRelay();
      }
      await until(waiting.id, 'COMPLETED');
      await quiet();
      expect((await stats()).outbox).toEqual({ backlog: 0, oldestAgeSeconds: 0 });
    });
  });

  describe('GET /api/v1/task-types', () => {
    it('lists fail, http.request, noop and sleep, each with a description and the JSON Schema of its payload', async () => {
      const res = await http().get(`${BASE}/task-types`).expect(200);
      const types: Json[] = res.body.items;
      expect(types.map((t) => String(t.type)).sort()).toEqual(['fail', 'http.request', 'noop', 'sleep']);
      for (const t of types) {
        expect(t.description).toEqual(expect.any(String));
        expect(t.description.length).toBeGreaterThan(0);
        expect(t.payloadSchema).toMatchObject({ type: 'object', additionalProperties: false });
      }
      const sleep = types.find((t) => t.type === 'sleep')!;
      // No policy of its own: the global settings, with the delay before each retry spelled out.
      const config = suite.config();
      expect(sleep.policy).toEqual({
        maxAttempts: 1 + config.retry.maxRetries,
        retry: { backoff: 'ladder', initialDelaySeconds: null, maxDelaySeconds: null, delaysSeconds: expect.any(Array) },
        timeoutSeconds: config.worker.taskTimeoutSeconds,
        concurrency: null,
        batch: null,
      });
      expect(sleep.policy.retry.delaysSeconds).toHaveLength(config.retry.maxRetries);
      expect(sleep.payloadSchema.required).toEqual(['ms']);
      expect(sleep.payloadSchema.properties.ms).toMatchObject({ type: 'integer', minimum: 0, maximum: 600_000 });
      const http_ = types.find((t) => t.type === 'http.request')!;
      expect(http_.payloadSchema.required).toEqual(expect.arrayContaining(['url', 'method']));
    });
  });

  describe('OpenAPI', () => {
    const served = () =>
      api.routes
        .list()
        .filter((r) => r.method !== 'HEAD' && r.method !== 'OPTIONS' && !r.url.startsWith('/docs'))
        .map((r) => `${r.method} ${r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
    const documented = (paths: Json) =>
      Object.entries(paths).flatMap(([path, item]) =>
        Object.keys(item as Json)
          .filter((m) => HTTP_METHODS.includes(m))
          .map((m) => `${m.toUpperCase()} ${path}`),
      );

    it('documents every route the app serves, and nothing else', async () => {
      const routes = [...new Set(served())].sort();
      expect(routes).toEqual(expect.arrayContaining(['GET /api/v1/tasks', 'POST /api/v1/tasks', 'GET /api/v1/tasks/{id}', 'DELETE /api/v1/tasks/{id}']));
      expect([...new Set(documented(api.document.paths))].sort()).toEqual(routes);
    });

    it('documents at least one 4xx response for every operation of /api/v1', async () => {
      // /health, /ready and /metrics answer no 4xx of their own: nothing to document there.
      const apiPaths = Object.entries(api.document.paths).filter(([path]) => path.startsWith(`${BASE}/`));
      expect(apiPaths.length).toBeGreaterThan(5);
      const missing = apiPaths.flatMap(([path, item]) =>
        Object.entries(item as Json)
          .filter(([m]) => HTTP_METHODS.includes(m))
          .filter(([, op]) => !Object.keys((op as Json).responses ?? {}).some((code) => /^4\d\d$/.test(code)))
          .map(([m]) => `${m.toUpperCase()} ${path}`),
      );
      expect(missing).toEqual([]);
    });

    it('serves Swagger UI at /docs and the same document at /docs-json on the real process', async () => {
      const proc = await suite.startProcess('api');
      try {
        const ui = await request(proc.url).get('/docs');
        expect(ui.status).toBe(200);
        expect(ui.headers['content-type']).toMatch(/^text\/html/);
        const json = await request(proc.url).get('/docs-json').expect(200);
        expect(json.body.openapi).toMatch(/^3\./);
        expect(Object.keys(json.body.paths).sort()).toEqual(Object.keys(api.document.paths).sort());
      } finally {
        await proc.kill();
      }
    });
  });

  describe('security', () => {
    const KEY = 'api-suite-key-0123456789';
    const OTHER_KEY = 'api-suite-other-key-0123456789';
    let secured: ApiUnderTest;

    beforeAll(async () => {
      secured = await suite.startApi({ API_KEYS: `${KEY},${OTHER_KEY}` });
    });

    it('with API_KEYS, /api/v1 needs the key: none or a wrong one is 401 with WWW-Authenticate: Bearer, a right one is 200', async () => {
      const none = await request(secured.getHttpServer()).get(`${BASE}/tasks`);
      expectProblem(none, 401);
      expect(none.headers['www-authenticate']).toMatch(/^Bearer/);

      const wrong = await request(secured.getHttpServer()).get(`${BASE}/tasks`).set('Authorization', 'Bearer not-the-key-0123456789');
      expectProblem(wrong, 401);
      expect(wrong.headers['www-authenticate']).toMatch(/^Bearer/);

      await request(secured.getHttpServer()).get(`${BASE}/tasks`).set('Authorization', `Bearer ${KEY}`).expect(200);
      await request(secured.getHttpServer()).get(`${BASE}/task-types`).set('Authorization', `Bearer ${OTHER_KEY}`).expect(200);
      const posted = await request(secured.getHttpServer())
        .post(`${BASE}/tasks`)
        .set('Authorization', `Bearer ${KEY}`)
        .send({ title: unique('with key'), runAt: farAway() });
      expect(posted.status).toBe(201);
    });

    it('with API_KEYS, /health, /ready and /metrics stay open', async () => {
      await request(secured.getHttpServer()).get('/health').expect(200);
      await eventually(async () => (await request(secured.getHttpServer()).get('/ready')).status === 200, 10_000, '/ready to answer 200');
      await request(secured.getHttpServer()).get('/metrics').expect(200);
    });

    it('rate-limits /api/v1 on the real process: over the limit is 429 with Retry-After; /health is not limited', async () => {
      const proc: AppProcess = await suite.startProcess('api', { RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_SECONDS: '60' });
      try {
        for (let i = 0; i < 3; i++) await request(proc.url).get(`${BASE}/task-types`).expect(200);
        const limited = await request(proc.url).get(`${BASE}/task-types`).set('X-Request-ID', 'api-suite-limited');
        expectProblem(limited, 429);
        expect(limited.body.requestId).toBe('api-suite-limited');
        expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
        for (let i = 0; i < 5; i++) await request(proc.url).get('/health').expect(200);
      } finally {
        await proc.kill();
      }
    });

    it('sends helmet security headers', async () => {
      for (const path of [`${BASE}/tasks?limit=1`, '/health', `${BASE}/tasks/${UNKNOWN_ID}`]) {
        const res = await http().get(path);
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.headers['x-frame-options']).toBeDefined();
      }
    });

    it('allows no cross origin by default, and the configured origins with CORS_ORIGINS', async () => {
      const origin = 'https://app.example.com';
      const plain = await http().get(`${BASE}/tasks?limit=1`).set('Origin', origin).expect(200);
      expect(plain.headers['access-control-allow-origin']).toBeUndefined();

      // A real process: CORS_ORIGINS is read at start, as a deployment would set it.
      const withCors = await suite.startProcess('api', { CORS_ORIGINS: origin });
      try {
        const allowed = await request(withCors.url).get(`${BASE}/tasks?limit=1`).set('Origin', origin).expect(200);
        expect(allowed.headers['access-control-allow-origin']).toBe(origin);
        const other = await request(withCors.url).get(`${BASE}/tasks?limit=1`).set('Origin', 'https://elsewhere.example.com').expect(200);
        expect(other.headers['access-control-allow-origin']).not.toBe('https://elsewhere.example.com');
        const preflight = await request(withCors.url)
          .options(`${BASE}/tasks`)
          .set('Origin', origin)
          .set('Access-Control-Request-Method', 'POST')
          .set('Access-Control-Request-Headers', 'content-type,idempotency-key');
        expect(preflight.status).toBeLessThan(300);
        expect(preflight.headers['access-control-allow-origin']).toBe(origin);
      } finally {
        await withCors.kill();
      }
    });
  });

  describe('methods, routes and problem documents', () => {
    it('answers a known path with an unserved method 405 with Allow', async () => {
      const res = await http().put(`${BASE}/tasks`);
      expectProblem(res, 405);
      const allow = String(res.headers.allow).split(/,\s*/);
      expect(allow).toEqual(expect.arrayContaining(['GET', 'POST']));
      expect(allow).not.toContain('PUT');

      const onTask = await http().patch(`${BASE}/tasks/${UNKNOWN_ID}`);
      expectProblem(onTask, 405);
      expect(String(onTask.headers.allow).split(/,\s*/)).toEqual(expect.arrayContaining(['GET', 'DELETE']));
    });

    it('answers an unknown route 404 with a problem', async () => {
      expectProblem(await http().get(`${BASE}/nothing-here`), 404);
      expectProblem(await http().get('/nothing-here-either'), 404);
    });

    it('sends every error as application/problem+json whose requestId is the X-Request-ID', async () => {
      const finished = await create({ title: unique('finished'), priority: 'HIGH' });
      await until(finished.id, 'COMPLETED');
      const cases: [string, (id: string) => request.Test, number][] = [
        ['400', (id) => http().post(`${BASE}/tasks`).set('X-Request-ID', id).send({ title: 42 }), 400],
        ['400-query', (id) => http().get(`${BASE}/tasks?limit=0`).set('X-Request-ID', id), 400],
        ['404', (id) => http().get(`${BASE}/tasks/${UNKNOWN_ID}`).set('X-Request-ID', id), 404],
        ['405', (id) => http().put(`${BASE}/tasks`).set('X-Request-ID', id), 405],
        ['409', (id) => http().delete(`${BASE}/tasks/${finished.id}`).set('X-Request-ID', id), 409],
        ['415', (id) => http().post(`${BASE}/tasks`).set('X-Request-ID', id).set('content-type', 'text/plain').send('x'), 415],
      ];
      for (const [name, send, status] of cases) {
        const id = `api-suite-error-${name}`;
        const res = await send(id);
        expectProblem(res, status);
        expect(res.headers['x-request-id']).toBe(id);
        expect(res.body.requestId).toBe(id);
      }
    });

    it('sends X-Request-ID on every answer', async () => {
      for (const path of [`${BASE}/tasks?limit=1`, `${BASE}/tasks/stats`, `${BASE}/task-types`, '/health', '/metrics']) {
        const res = await http().get(path).expect(200);
        expect(res.headers['x-request-id']).toEqual(expect.any(String));
      }
    });
  });

  describe('POST /api/v1/tasks/{id}/retry', () => {
    it('puts a FAILED task back at NEW with attempts 0 (202), and it runs again', async () => {
      const task = await create({ title: unique('fails once more'), type: 'fail', maxAttempts: 1, payload: { message: 'still broken' } });
      const failed = await until(task.id, 'FAILED');
      expect(failed).toMatchObject({ attempts: 1, error: 'still broken' });

      const res = await http().post(`${BASE}/tasks/${task.id}/retry`).expect(202);
      expect(res.body).toMatchObject({ id: task.id, status: 'NEW', attempts: 0, error: null, startedAt: null, completedAt: null });

      // `fail` without `times` fails every attempt: attempt 1 again, FAILED again, on a new run.
      const again = await until(task.id, 'FAILED', 15_000, (t) => t.startedAt !== null && Date.parse(t.startedAt) >= Date.parse(failed.completedAt));
      expect(again).toMatchObject({ attempts: 1, maxAttempts: 1, error: 'still broken' });
    });

    it('puts a CANCELLED task back at NEW (202), and it then COMPLETES', async () => {
      const task = await create({ title: unique('cancelled then retried'), runAt: farAway() });
      await http().delete(`${BASE}/tasks/${task.id}`).expect(200);
      const res = await http().post(`${BASE}/tasks/${task.id}/retry`).expect(202);
      expect(res.body).toMatchObject({ status: 'NEW', attempts: 0 });
      const done = await until(task.id, 'COMPLETED');
      expect(done).toMatchObject({ attempts: 1, error: null });
    });

    it('answers 409 for a task that is not FAILED or CANCELLED (NEW, PENDING, COMPLETED), 404 for an unknown one, 400 for a bad id', async () => {
      const scheduled = await create({ title: unique('not yet'), runAt: farAway() });
      const pending = await create({ title: unique('waits in tasks.low'), priority: 'LOW' });
      const completed = await create({ title: unique('done already'), priority: 'HIGH' });
      await until(pending.id, 'PENDING');
      await until(completed.id, 'COMPLETED');

      for (const task of [scheduled, pending, completed]) {
        const before = await get(task.id);
        expectProblem(await http().post(`${BASE}/tasks/${task.id}/retry`), 409, 'TASK_NOT_RETRYABLE');
        expect((await get(task.id)).status).toBe(before.status);
      }
      expectProblem(await http().post(`${BASE}/tasks/${UNKNOWN_ID}/retry`), 404, 'NOT_FOUND');
      expectProblem(await http().post(`${BASE}/tasks/nope/retry`), 400, 'VALIDATION_FAILED');
    });
  });

  describe('DELETE /api/v1/tasks/{id}', () => {
    const skippedBy = async (app: INestApplicationContext) => {
      const metric = await app.get(MetricsService).taskOutcomes.get();
      return metric.values.filter((v) => v.labels.outcome === 'SKIPPED').reduce((sum, v) => sum + v.value, 0);
    };

    it('cancels a NEW task at once: 200 with status CANCELLED', async () => {
      const task = await create({ title: unique('cancel me'), runAt: farAway() });
      const res = await http().delete(`${BASE}/tasks/${task.id}`).expect(200);
      expect(res.body).toMatchObject({ id: task.id, status: 'CANCELLED', attempts: 0, startedAt: null });
      expect(await suite.taskStatus(task.id)).toBe('CANCELLED');
    });

    it('cancels a PENDING task whose message is already queued (200), and it never starts when a worker takes the queue', async () => {
      const task = await create({ title: unique('queued then cancelled'), priority: 'LOW' });
      await until(task.id, 'PENDING');
      expect(await suite.queueDepth('tasks.low')).toBeGreaterThanOrEqual(1);

      const res = await http().delete(`${BASE}/tasks/${task.id}`).expect(200);
      expect(res.body).toMatchObject({ status: 'CANCELLED', attempts: 0 });

      const lowWorker = await suite.startWorker({ WORKER_QUEUES: 'tasks.low' });
      try {
        await eventually(async () => (await suite.queueDepth('tasks.low')) === 0 && (await skippedBy(lowWorker)) >= 1, 15_000, 'tasks.low to be drained');
        await quiet();
      } finally {
        await suite.stop(lowWorker);
      }
      expect(await get(task.id)).toMatchObject({ status: 'CANCELLED', attempts: 0, startedAt: null, progress: null });
    });

    it('cancels a RETRYING task at once (200)', async () => {
      const task = await create({ title: unique('between tries'), type: 'fail', maxAttempts: 3, payload: { message: 'try later' } });
      await until(task.id, 'RETRYING');
      const res = await http().delete(`${BASE}/tasks/${task.id}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'CANCELLED', attempts: 1, nextRetryAt: null });
    });

    it('answers 409 for a task already COMPLETED or CANCELLED, 404 for an unknown one, 400 for a bad id', async () => {
      const done = await create({ title: unique('finished first'), priority: 'HIGH' });
      await until(done.id, 'COMPLETED');
      expectProblem(await http().delete(`${BASE}/tasks/${done.id}`), 409, 'TASK_ALREADY_FINISHED');
      expect(await suite.taskStatus(done.id)).toBe('COMPLETED');

      const cancelled = await create({ title: unique('cancelled twice'), runAt: farAway() });
      await http().delete(`${BASE}/tasks/${cancelled.id}`).expect(200);
      expectProblem(await http().delete(`${BASE}/tasks/${cancelled.id}`), 409, 'TASK_ALREADY_FINISHED');

      expectProblem(await http().delete(`${BASE}/tasks/${UNKNOWN_ID}`), 404, 'NOT_FOUND');
      expectProblem(await http().delete(`${BASE}/tasks/12345`), 400, 'VALIDATION_FAILED');
    });

    it('asks a running task to stop (202), and it ends CANCELLED within 5 s', async () => {
      const task = await create({ title: unique('long nap'), type: 'sleep', payload: { ms: 30_000 } });
      await until(task.id, 'IN_PROGRESS');
      const res = await http().delete(`${BASE}/tasks/${task.id}`);
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ id: task.id, status: 'IN_PROGRESS' });

      const cancelled = await until(task.id, 'CANCELLED', 5_000);
      expect(cancelled).toMatchObject({ attempts: 1 });
      expect(cancelled.completedAt).not.toBeNull();
    });
  });
});

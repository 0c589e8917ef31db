import request from 'supertest';
import { type ApiUnderTest, Suite, eventually } from './support/suite.js';

/** POST → outbox → relay → RabbitMQ → worker → COMPLETED, through HTTP, on the real services. */
describe('core path (end to end)', () => {
  let suite: Suite;
  let api: ApiUnderTest;

  beforeAll(async () => {
    suite = await Suite.create('core_path');
    api = await suite.startApi();
    await suite.startRelay();
    await suite.startWorker();
  });

  afterAll(async () => {
    await suite.teardown();
  });

  it('takes a noop task from POST to COMPLETED', async () => {
    const created = await request(api.getHttpServer())
      .post('/api/v1/tasks')
      .set('X-Request-ID', 'core-path-noop-1')
      .send({ title: '  say hello  ' })
      .expect(201);

    expect(created.headers['x-request-id']).toBe('core-path-noop-1');
    expect(created.headers.location).toBe(`/api/v1/tasks/${created.body.id}`);
    expect(created.body).toMatchObject({
      type: 'noop',
      title: 'say hello',
      priority: 'MEDIUM',
      payload: {},
      status: 'NEW',
      attempts: 0,
      maxAttempts: 4,
      correlationId: 'core-path-noop-1',
    });

    const done = await eventually(
      async () => {
        const res = await request(api.getHttpServer()).get(`/api/v1/tasks/${created.body.id}`).expect(200);
        return res.body.status === 'COMPLETED' ? res.body : undefined;
      },
      10_000,
      'the task to complete',
    );
    expect(done).toMatchObject({ status: 'COMPLETED', result: {}, attempts: 1, progress: 100, error: null });
    expect(done.startedAt).not.toBeNull();
    expect(done.completedAt).not.toBeNull();
  });

  it('runs a sleep task with its payload and reports its result', async () => {
    const created = await request(api.getHttpServer())
      .post('/api/v1/tasks')
      .send({ title: 'nap', type: 'sleep', priority: 'HIGH', payload: { ms: 150 } })
      .expect(201);
    const done = await eventually(
      async () => {
        const res = await request(api.getHttpServer()).get(`/api/v1/tasks/${created.body.id}`);
        return res.body.status === 'COMPLETED' ? res.body : undefined;
      },
      10_000,
      'the sleep task to complete',
    );
    expect(done.result.sleptMs).toBeGreaterThanOrEqual(150);
    expect(done.priority).toBe('HIGH');
  });

  it('generates a request id when none is sent and stores it as the correlationId', async () => {
    const created = await request(api.getHttpServer()).post('/api/v1/tasks').send({ title: 'no id' }).expect(201);
    expect(created.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.body.correlationId).toBe(created.headers['x-request-id']);
  });

  it('answers GET of an unknown task with a 404 problem', async () => {
    const res = await request(api.getHttpServer()).get('/api/v1/tasks/00000000-0000-4000-8000-000000000000').expect(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status: 404, title: 'Not found', type: '/problems/not-found' });
    expect(res.body.requestId).toBe(res.headers['x-request-id']);
  });

  it('refuses a bad task with a 400 problem naming each field, and writes nothing', async () => {
    const before = await suite.sql.query('SELECT count(*)::int AS n FROM tasks');
    const res = await request(api.getHttpServer())
      .post('/api/v1/tasks')
      .send({ title: '', priority: 'URGENT', type: 'sleep', payload: { ms: -5 } })
      .expect(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const fields = res.body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['title', 'priority']));
    const after = await suite.sql.query('SELECT count(*)::int AS n FROM tasks');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it('refuses an unknown type with a 400 that lists the known ones', async () => {
    const res = await request(api.getHttpServer()).post('/api/v1/tasks').send({ title: 't', type: 'email.send' }).expect(400);
    expect(res.body.errors).toEqual([{ field: 'type', message: expect.stringContaining('known types: fail, http.request, noop, sleep') }]);
  });

  it('serves /health, /ready and /metrics', async () => {
    await request(api.getHttpServer()).get('/health').expect(200, { status: 'ok' });
    const ready = await eventually(
      async () => {
        const res = await request(api.getHttpServer()).get('/ready');
        return res.status === 200 ? res.body : undefined;
      },
      10_000,
      'the api to be ready',
    );
    expect(ready.checks).toEqual({ postgres: 'up', rabbitmq: 'up' });
    const metrics = await request(api.getHttpServer()).get('/metrics').expect(200);
    expect(metrics.text).toContain('tasks_created_total{type="noop",priority="MEDIUM"}');
  });
});

import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postgresAddress } from '#config';
import type { AppProcess } from './support/app-process.js';
import { eventually, Suite } from './support/suite.js';

type LogLine = Record<string, unknown>;

/** Every line an app wrote, parsed; a line that is not a JSON object fails the test. */
function parsed(app: AppProcess): LogLine[] {
  return app.lines.map((line) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`${app.name} wrote a line that is not JSON: ${line}`);
    }
    if (value === null || typeof value !== 'object') throw new Error(`${app.name} wrote a line that is not a JSON object: ${line}`);
    return value as LogLine;
  });
}

/**
 * The three apps as real processes at LOG_LEVEL=debug, each writing JSON lines: one
 * X-Request-ID is found in the api's, the relay's and the worker's lines with the task's id
 * (and in the worker's with its type and attempt), the api writes an access line per request,
 * and no credential reaches any line: not the API key of a request, not the password of
 * DATABASE_URL or RABBITMQ_URL, not the Authorization header, cookie, URL password or query
 * token of an http.request task.
 */
describe('JSON logs across api, relay and worker', () => {
  const API_KEY = `logs-api-key-${randomUUID()}`;
  const PG_PASSWORD = 'Pg-S3cret-Pass';
  const RABBIT_PASSWORD = 'Rabbit-S3cret-Pass';
  const HTTP_SECRETS = ['HttpAuthT0ken987', 'CookieSess10n', 'UrlUserPa55', 'QueryT0ken55'];
  const SECRETS = [API_KEY, PG_PASSWORD, RABBIT_PASSWORD, ...HTTP_SECRETS];
  const rabbitUser = `logs_test_${process.pid}`;

  let suite: Suite;
  let api: AppProcess;
  let relay: AppProcess;
  let worker: AppProcess;
  let target: Server;
  const received: IncomingHttpHeaders[] = [];

  const post = async (path: string, body: unknown, requestId: string) => {
    const response = await fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}`, 'x-request-id': requestId },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { id: string } };
  };
  const finished = (id: string) =>
    eventually(async () => ['COMPLETED', 'FAILED'].includes((await suite.taskStatus(id)) ?? '') || undefined, 30_000, `task ${id} to finish`);

  beforeAll(async () => {
    // A server for http.request that reads the secret header, then answers 500: the task is
    // retried once, then fails, so its error is logged at warn and at error.
    target = createServer((req, res) => {
      received.push(req.headers);
      res.writeHead(500).end('down');
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const port = (target.address() as AddressInfo).port;

    suite = await Suite.create('logs');
    // A broker user of this suite's own, with a password to keep out of the logs.
    execFileSync('rabbitmqctl', ['-q', 'add_user', rabbitUser, RABBIT_PASSWORD], { stdio: 'pipe' });
    execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', suite.vhost, rabbitUser, '.*', '.*', '.*'], { stdio: 'pipe' });
    const { postgres } = suite.config();
    const { host, port: pgPort } = postgresAddress(postgres);
    const pgUser = postgres.url ? decodeURIComponent(new URL(postgres.url).username) : postgres.user;
    const broker = new URL(suite.amqpUrl);
    const env = {
      LOG_LEVEL: 'debug',
      API_KEYS: API_KEY,
      // PostgreSQL here trusts local connections: the password is sent nowhere, but it is in the configuration.
      DATABASE_URL: `postgres://${encodeURIComponent(pgUser)}:${PG_PASSWORD}@${host}:${pgPort}/${suite.database}`,
      RABBITMQ_URL: `amqp://${rabbitUser}:${RABBIT_PASSWORD}@${broker.host}/${suite.vhost}`,
      HTTP_TASK_ALLOWED_HOSTS: `127.0.0.1:${port}`,
      MAX_RETRIES: '1',
    };
    // Side by side; should one not start, the others are killed here (the suite only tracks an
    // app once it has started, so a rejected Promise.all would leave them running).
    const started = await Promise.allSettled((['api', 'relay', 'worker'] as const).map((name) => suite.startProcess(name, env)));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      await suite.killProcesses();
      throw failed.reason;
    }
    [api, relay, worker] = started.map((s) => (s as PromiseFulfilledResult<AppProcess>).value);
  });

  afterAll(async () => {
    await suite?.teardown();
    execFileSync('rabbitmqctl', ['-q', 'delete_user', rabbitUser], { stdio: 'pipe' });
    target?.closeAllConnections();
    await new Promise((resolve) => target?.close(resolve));
  });

  it("follows one X-Request-ID through the api's, the relay's and the worker's lines with the task's id, type and attempt", async () => {
    const requestId = `logs-${randomUUID()}`;

    const created = await post('/api/v1/tasks', { title: 'follow me', type: 'noop' }, requestId);
    expect(created.status).toBe(201);
    const taskId = created.body.id;
    await finished(taskId);

    const about = (app: AppProcess) => parsed(app).filter((l) => l.correlationId === requestId && l.taskId === taskId);
    const lines = await eventually(
      async () => {
        const found = { api: about(api), relay: about(relay), worker: about(worker) };
        return found.api.length && found.relay.length && found.worker.some((l) => l.status === 'COMPLETED') ? found : undefined;
      },
      10_000,
      'lines about the task from each app',
    );

    expect(lines.api).toContainEqual(expect.objectContaining({ app: 'api', msg: 'task created', type: 'noop', attempt: 0 }));
    expect(lines.relay).toContainEqual(expect.objectContaining({ app: 'relay', msg: 'published', type: 'noop', attempt: 1 }));
    expect(lines.worker).toContainEqual(expect.objectContaining({ app: 'worker', msg: 'task COMPLETED', type: 'noop', attempt: 1, level: 'debug' }));
    // Every worker line about the task carries the four fields, whatever wrote it.
    for (const line of lines.worker) expect(line).toMatchObject({ taskId, type: 'noop', attempt: 1, correlationId: requestId });
  });

  it('writes one access line per request with method, route pattern, status, duration and request id, and never the path or query', async () => {
    const requestId = `access-${randomUUID()}`;
    const response = await fetch(`${api.url}/api/v1/tasks/${randomUUID()}?token=QueryT0ken55`, {
      headers: { authorization: `Bearer ${API_KEY}`, 'x-request-id': requestId },
    });
    expect(response.status).toBe(404);

    const access = await eventually(async () => parsed(api).find((l) => l.context === 'Access' && l.requestId === requestId), 10_000, 'the access line');

    expect(access).toEqual({
      level: 'info',
      time: expect.any(String),
      app: 'api',
      pid: api.pid,
      context: 'Access',
      msg: 'GET /api/v1/tasks/:id 404',
      method: 'GET',
      route: '/api/v1/tasks/:id',
      status: 404,
      durationMs: expect.any(Number),
      requestId,
      correlationId: requestId,
    });
  });

  it('keeps the API key, the URL passwords and the headers of an http.request task out of every line, at debug', async () => {
    const port = (target.address() as AddressInfo).port;
    const task = await post(
      '/api/v1/tasks',
      {
        title: 'secret call',
        type: 'http.request',
        payload: {
          url: `http://alice:UrlUserPa55@127.0.0.1:${port}/hook?token=QueryT0ken55`,
          method: 'POST',
          headers: { Authorization: 'Bearer HttpAuthT0ken987', Cookie: 'session=CookieSess10n' },
          body: { a: 1 },
        },
      },
      `secrets-${randomUUID()}`,
    );
    expect(task.status).toBe(201);
    await finished(task.body.id);
    // Its failure is logged by the worker: wait for that line before reading every line.
    await eventually(async () => parsed(worker).find((l) => l.taskId === task.body.id && l.status === 'FAILED'), 10_000, 'the FAILED line');

    // The secrets did travel: the header reached the server, and the apps connected with the passwords.
    expect(received.some((headers) => headers.authorization === 'Bearer HttpAuthT0ken987')).toBe(true);
    for (const app of [api, relay, worker]) {
      const text = app.lines.join('\n');
      for (const secret of SECRETS) expect({ app: app.name, leaked: text.includes(secret) ? secret : null }).toEqual({ app: app.name, leaked: null });
    }
    // And the lines were at debug: the per-task lines of every app are there.
    for (const app of [api, relay, worker]) expect(parsed(app).some((l) => l.level === 'debug')).toBe(true);
  });
});

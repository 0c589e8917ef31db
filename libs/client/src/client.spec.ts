import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TaskServiceClient, TaskWaitTimeout, listQuery, type Task } from './client.js';
import { type DeadLetter, DeadLetterQueueCalls, deadLetterQuery, replayBody } from './dead-letters.js';
import {
  ConflictProblem,
  ForbiddenProblem,
  NotFoundProblem,
  RateLimitedProblem,
  TaskServiceProblem,
  UnauthorizedProblem,
  ValidationProblem,
} from './problems.js';

const BASE = 'http://tasks.test:3000';
const ID = '4f6c0a52-5d0e-4c57-9a0e-0a4b1f1e3c2d';

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

type Answer = { status: number; body?: unknown; headers?: Record<string, string>; raw?: string };

/** A fetch that records each request and answers from `answers`, in turn (the last repeats). */
function fakeFetch(...answers: Answer[]) {
  const sent: Sent[] = [];
  // The client always passes the URL as a string and the body as a JSON string.
  const fetch = (async (input: string, init?: RequestInit & { body?: string }) => {
    sent.push({
      method: init?.method ?? 'GET',
      url: input,
      headers: { ...(init?.headers as Record<string, string>) },
      body: init?.body === undefined ? undefined : JSON.parse(init.body),
    });
    const answer = answers[Math.min(sent.length - 1, answers.length - 1)];
    const text = answer.raw ?? (answer.body === undefined ? '' : JSON.stringify(answer.body));
    const type = answer.status >= 400 && answer.raw === undefined ? 'application/problem+json' : 'application/json';
    return new Response(text === '' ? null : text, { status: answer.status, headers: { 'content-type': type, ...answer.headers } });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, sent };
}

const task = (overrides: Partial<Task> = {}): Task => ({
  id: ID,
  type: 'noop',
  title: 'a task',
  description: null,
  priority: 'MEDIUM',
  payload: {},
  status: 'NEW',
  result: null,
  error: null,
  attempts: 0,
  maxAttempts: 4,
  progress: null,
  runAt: null,
  nextRetryAt: null,
  correlationId: 'req-1',
  createdAt: '2026-11-26T00:00:00.000Z',
  updatedAt: '2026-11-26T00:00:00.000Z',
  startedAt: null,
  completedAt: null,
  ...overrides,
});

const problem = (status: number, type: string, extra: Record<string, unknown> = {}) => ({
  type,
  title: 'a title',
  status,
  detail: 'what went wrong',
  code: 'SOME_CODE',
  requestId: 'req-9',
  ...extra,
});

describe(TaskServiceClient.name, () => {
  it('creates a task: POST /api/v1/tasks with the JSON body, the bearer key, the request id and the Idempotency-Key header', async () => {
    const { fetch, sent } = fakeFetch({ status: 201, body: task() });
    const sut = new TaskServiceClient({ baseUrl: `${BASE}/`, apiKey: 'key-0123456789abcdef', fetch, requestId: 'default-id' });

    const created = await sut.create({ title: 'a task', type: 'noop' }, { idempotencyKey: 'order-42', requestId: 'req-1' });

    expect(created.id).toBe(ID);
    expect(sent).toEqual([
      {
        method: 'POST',
        url: `${BASE}/api/v1/tasks`,
        headers: expect.objectContaining({
          'content-type': 'application/json',
          authorization: 'Bearer key-0123456789abcdef',
          'x-request-id': 'req-1',
          'idempotency-key': 'order-42',
        }),
        body: { title: 'a task', type: 'noop' },
      },
    ]);
  });

  it('sends no Authorization, Idempotency-Key or X-Request-ID unless given; the constructor’s request id is a value or a function', async () => {
    const bare = fakeFetch({ status: 200, body: task() });
    await new TaskServiceClient({ baseUrl: BASE, fetch: bare.fetch }).get(ID);
    expect(Object.keys(bare.sent[0].headers)).toEqual(['accept']);

    const ids = ['id-1', 'id-2'];
    const counted = fakeFetch({ status: 200, body: task() });
    const sut = new TaskServiceClient({ baseUrl: BASE, fetch: counted.fetch, requestId: () => ids.shift()! });
    await sut.get(ID);
    await sut.get(ID);
    expect(counted.sent.map((s) => s.headers['x-request-id'])).toEqual(['id-1', 'id-2']);
  });

  it('creates a batch as { tasks: [...] } and returns the tasks in order', async () => {
    const { fetch, sent } = fakeFetch({ status: 201, body: { tasks: [task({ title: 'one' }), task({ title: 'two' })] } });
    const sut = new TaskServiceClient({ baseUrl: BASE, fetch });

    const tasks = await sut.createBatch([{ title: 'one' }, { title: 'two' }], { idempotencyKey: 'batch-1' });

    expect(tasks.map((t) => t.title)).toEqual(['one', 'two']);
    expect(sent[0]).toMatchObject({ method: 'POST', url: `${BASE}/api/v1/tasks/batch`, body: { tasks: [{ title: 'one' }, { title: 'two' }] } });
    expect(sent[0].headers['idempotency-key']).toBe('batch-1');
  });

  it('lists across pages: follows nextCursor until it is null, yielding every task once', async () => {
    const { fetch, sent } = fakeFetch(
      { status: 200, body: { items: [task({ title: '1' }), task({ title: '2' })], nextCursor: 'c1' } },
      { status: 200, body: { items: [task({ title: '3' })], nextCursor: 'c2' } },
      { status: 200, body: { items: [], nextCursor: null } },
    );
    const sut = new TaskServiceClient({ baseUrl: BASE, fetch });

    const titles: string[] = [];
    for await (const t of sut.list({ status: ['FAILED', 'CANCELLED'], limit: 2 })) titles.push(t.title);

    expect(titles).toEqual(['1', '2', '3']);
    expect(sent.map((s) => s.url)).toEqual([
      `${BASE}/api/v1/tasks?status=FAILED%2CCANCELLED&limit=2`,
      `${BASE}/api/v1/tasks?status=FAILED%2CCANCELLED&limit=2&cursor=c1`,
      `${BASE}/api/v1/tasks?status=FAILED%2CCANCELLED&limit=2&cursor=c2`,
    ]);
  });

  it('stops fetching when the loop stops', async () => {
    const { fetch, sent } = fakeFetch({ status: 200, body: { items: [task(), task()], nextCursor: 'more' } });
    const sut = new TaskServiceClient({ baseUrl: BASE, fetch });
    for await (const _ of sut.list({ limit: 2 })) break;
    expect(sent).toHaveLength(1);
  });

  it('waits for a terminal status: polls /status, then returns the task', async () => {
    const { fetch, sent } = fakeFetch(
      { status: 200, body: { id: ID, status: 'PENDING' } },
      { status: 200, body: { id: ID, status: 'IN_PROGRESS' } },
      { status: 200, body: { id: ID, status: 'COMPLETED' } },
      { status: 200, body: task({ status: 'COMPLETED', result: 7 }) },
    );
    const sut = new TaskServiceClient({ baseUrl: BASE, fetch });

    const done = await sut.waitFor(ID, { until: 'terminal', intervalMs: 0 });

    expect(done).toMatchObject({ status: 'COMPLETED', result: 7 });
    expect(sent.map((s) => s.url.slice(BASE.length))).toEqual([
      `/api/v1/tasks/${ID}/status`,
      `/api/v1/tasks/${ID}/status`,
      `/api/v1/tasks/${ID}/status`,
      `/api/v1/tasks/${ID}`,
    ]);
  });

  it('waits for the statuses it is given, and gives up with TaskWaitTimeout naming the last status', async () => {
    const inProgress = fakeFetch({ status: 200, body: { id: ID, status: 'IN_PROGRESS' } }, { status: 200, body: task({ status: 'IN_PROGRESS' }) });
    const sut = new TaskServiceClient({ baseUrl: BASE, fetch: inProgress.fetch });
    await expect(sut.waitFor(ID, { until: ['IN_PROGRESS'], intervalMs: 0 })).resolves.toMatchObject({ status: 'IN_PROGRESS' });

    const stuck = new TaskServiceClient({ baseUrl: BASE, fetch: fakeFetch({ status: 200, body: { id: ID, status: 'PENDING' } }).fetch });
    const error = await stuck.waitFor(ID, { until: 'terminal', timeoutMs: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskWaitTimeout);
    expect(error).toMatchObject({ taskId: ID, lastStatus: 'PENDING' });
  });

  it('cancels with DELETE and retries with POST …/retry', async () => {
    const { fetch, sent } = fakeFetch({ status: 200, body: task({ status: 'CANCELLED' }) }, { status: 202, body: task({ status: 'NEW' }) });
    const sut = new TaskServiceClient({ baseUrl: BASE, fetch });
    expect((await sut.cancel(ID)).status).toBe('CANCELLED');
    expect((await sut.retry(ID)).status).toBe('NEW');
    expect(sent.map((s) => `${s.method} ${s.url.slice(BASE.length)}`)).toEqual([`DELETE /api/v1/tasks/${ID}`, `POST /api/v1/tasks/${ID}/retry`]);
  });

  it.each([
    [400, '/problems/validation-error', ValidationProblem, 'validation'],
    [401, '/problems/unauthorized', UnauthorizedProblem, 'unauthorized'],
    [403, '/problems/forbidden', ForbiddenProblem, 'forbidden'],
    [404, '/problems/not-found', NotFoundProblem, 'not-found'],
    [409, '/problems/conflict', ConflictProblem, 'conflict'],
    [429, '/problems/too-many-requests', RateLimitedProblem, 'rate-limited'],
  ] as const)('throws a %i problem as its own class (%s), with the fields of the problem', async (status, type, Problem, kind) => {
    const errors = [{ field: 'title', message: 'title must be a string' }];
    const { fetch } = fakeFetch({ status, body: problem(status, type, { errors }), headers: { 'retry-after': '7' } });
    const sut = new TaskServiceClient({ baseUrl: BASE, fetch });

    const error = await sut.get(ID).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Problem);
    expect(error).toBeInstanceOf(TaskServiceProblem);
    expect(error).toMatchObject({
      kind,
      status,
      type,
      title: 'a title',
      detail: 'what went wrong',
      code: 'SOME_CODE',
      requestId: 'req-9',
      errors,
      retryAfterSeconds: 7,
    });
  });

  it('throws an error answer that is not a problem document (a proxy’s page) as a TaskServiceProblem of type about:blank', async () => {
    const { fetch } = fakeFetch({ status: 502, raw: '<html>Bad gateway</html>' });
    const error = await new TaskServiceClient({ baseUrl: BASE, fetch }).stats().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskServiceProblem);
    expect(error).toMatchObject({ kind: 'other', status: 502, type: 'about:blank', detail: '<html>Bad gateway</html>' });
  });

  it('refuses a baseUrl that is not an absolute http(s) URL, naming it', () => {
    expect(() => new TaskServiceClient({ baseUrl: 'localhost:3000' })).toThrow(/baseUrl must be an/);
    expect(() => new TaskServiceClient({ baseUrl: 'ftp://host' })).toThrow(/baseUrl must be an http or https URL \(got ftp:\/\/host\)/);
  });
});

describe(DeadLetterQueueCalls.name, () => {
  const deadLetter = (overrides: Partial<Task> = {}): DeadLetter => ({
    reason: 'permanent-error',
    failedAt: '2026-11-26T00:00:01.000Z',
    task: task({ status: 'FAILED', attempts: 1, error: 'boom', ...overrides }),
  });

  it('reads the summary: GET /api/v1/dlq with the filters as comma lists and since as an ISO time, with the key', async () => {
    const summary = { total: 2, groups: [], queue: { name: 'tasks.dlq', messages: 2 } };
    const { fetch, sent } = fakeFetch({ status: 200, body: summary });
    const sut = new TaskServiceClient({ baseUrl: BASE, apiKey: 'key-0123456789abcdef', fetch }).dlq;

    const answer = await sut.summary({ type: ['fail', 'http.request'], reason: 'timeout', since: new Date('2026-11-25T10:00:00Z') });

    expect(answer).toEqual(summary);
    expect(sent).toEqual([
      {
        method: 'GET',
        url: `${BASE}/api/v1/dlq?type=fail%2Chttp.request&reason=timeout&since=2026-11-25T10%3A00%3A00.000Z`,
        headers: expect.objectContaining({ authorization: 'Bearer key-0123456789abcdef' }),
        body: undefined,
      },
    ]);
  });

  it('lists across pages: follows nextCursor until it is null, yielding every dead letter once', async () => {
    const { fetch, sent } = fakeFetch(
      { status: 200, body: { items: [deadLetter({ title: '1' })], nextCursor: 'c1' } },
      { status: 200, body: { items: [deadLetter({ title: '2' })], nextCursor: null } },
    );
    const sut = new TaskServiceClient({ baseUrl: BASE, fetch }).dlq;

    const titles: string[] = [];
    for await (const entry of sut.list({ reason: ['timeout', 'worker-lost'], limit: 1 })) titles.push(entry.task.title);

    expect(titles).toEqual(['1', '2']);
    expect(sent.map((s) => s.url)).toEqual([
      `${BASE}/api/v1/dlq/tasks?reason=timeout%2Cworker-lost&limit=1`,
      `${BASE}/api/v1/dlq/tasks?reason=timeout%2Cworker-lost&limit=1&cursor=c1`,
    ]);
  });

  it('reads one page, and one dead letter by id; a task that is not FAILED is a NotFoundProblem', async () => {
    const { fetch, sent } = fakeFetch(
      { status: 200, body: { items: [deadLetter()], nextCursor: 'next' } },
      { status: 200, body: deadLetter() },
      { status: 404, body: problem(404, '/problems/not-found') },
    );
    const sut = new TaskServiceClient({ baseUrl: BASE, fetch }).dlq;

    expect(await sut.listPage({ cursor: 'abc' })).toMatchObject({ items: [{ reason: 'permanent-error' }], nextCursor: 'next' });
    expect(await sut.get(ID)).toMatchObject({ reason: 'permanent-error', task: { id: ID, status: 'FAILED' } });
    await expect(sut.get(ID)).rejects.toBeInstanceOf(NotFoundProblem);
    expect(sent.map((s) => `${s.method} ${s.url.slice(BASE.length)}`)).toEqual([
      'GET /api/v1/dlq/tasks?cursor=abc',
      `GET /api/v1/dlq/tasks/${ID}`,
      `GET /api/v1/dlq/tasks/${ID}`,
    ]);
  });

  it('replays a selection with POST /api/v1/dlq/replay and purges with DELETE /api/v1/dlq/messages', async () => {
    const replayed = { replayed: 1, taskIds: [ID], skipped: [{ id: 'other', status: 'COMPLETED' }] };
    const { fetch, sent } = fakeFetch({ status: 202, body: replayed }, { status: 200, body: { purged: 3, reasonsForgotten: 1 } });
    const sut = new TaskServiceClient({ baseUrl: BASE, fetch, requestId: 'req-dlq' }).dlq;

    expect(await sut.replay({ ids: [ID, 'other'] })).toEqual(replayed);
    expect(await sut.purge()).toEqual({ purged: 3, reasonsForgotten: 1 });
    expect(sent).toEqual([
      { method: 'POST', url: `${BASE}/api/v1/dlq/replay`, headers: expect.objectContaining({ 'x-request-id': 'req-dlq' }), body: { ids: [ID, 'other'] } },
      { method: 'DELETE', url: `${BASE}/api/v1/dlq/messages`, headers: expect.objectContaining({ 'x-request-id': 'req-dlq' }), body: undefined },
    ]);
  });

  it('throws the 403 of a read-only key as a ForbiddenProblem with its code', async () => {
    const { fetch } = fakeFetch({ status: 403, body: problem(403, '/problems/forbidden', { code: 'API_KEY_READ_ONLY' }) });
    const error = await new TaskServiceClient({ baseUrl: BASE, apiKey: 'read-only-0123456789', fetch }).dlq.purge().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ForbiddenProblem);
    expect(error).toMatchObject({ kind: 'forbidden', status: 403, code: 'API_KEY_READ_ONLY' });
  });
});

describe(deadLetterQuery.name, () => {
  it('keeps type, reason, since, limit and cursor in that order, leaving out what is not given', () => {
    expect(deadLetterQuery({})).toBe('');
    expect(deadLetterQuery({ cursor: 'c', limit: 5, since: '2026-11-25T10:00:00Z', reason: ['a', 'b'], type: 't' })).toBe(
      '?type=t&reason=a%2Cb&since=2026-11-25T10%3A00%3A00Z&limit=5&cursor=c',
    );
  });
});

describe(replayBody.name, () => {
  it('sends ids, all, or the filter with lists as comma lists and a Date as its ISO time, and nothing else', () => {
    expect(replayBody({ ids: [ID] })).toEqual({ ids: [ID] });
    expect(replayBody({ all: true })).toEqual({ all: true });
    expect(replayBody({ type: ['fail', 'sleep'], since: new Date('2026-11-25T10:00:00Z') })).toEqual({ type: 'fail,sleep', since: '2026-11-25T10:00:00.000Z' });
    expect(replayBody({ reason: 'timeout' })).toEqual({ reason: 'timeout' });
  });
});

describe(listQuery.name, () => {
  it('joins lists with commas, leaves out what is not given, and is empty without filters', () => {
    expect(listQuery({})).toBe('');
    expect(listQuery({ type: ['sleep', 'noop'], priority: 'HIGH', cursor: 'abc=' })).toBe('?priority=HIGH&type=sleep%2Cnoop&cursor=abc%3D');
  });
});

describe('the client against documents/openapi.json', () => {
  const document = JSON.parse(readFileSync(join(process.cwd(), 'documents/openapi.json'), 'utf8')) as {
    components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    paths: Record<
      string,
      Record<string, { parameters?: { name: string; in: string }[]; responses: Record<string, { content?: Record<string, { schema?: unknown }> }> }>
    >;
  };
  const schemaOf = (s: string) => ({ $ref: `#/components/schemas/${s}` });

  // Each call of the client, the operation it sends and the schema its return type is generated from.
  const calls: [string, (sut: TaskServiceClient) => Promise<unknown>, string, string, string][] = [
    ['create', (sut) => sut.create({ title: 't' }), 'post', '/api/v1/tasks', 'TaskView'],
    ['createBatch', (sut) => sut.createBatch([{ title: 't' }]), 'post', '/api/v1/tasks/batch', 'TaskBatchView'],
    ['get', (sut) => sut.get(ID), 'get', '/api/v1/tasks/{id}', 'TaskView'],
    ['status', (sut) => sut.status(ID), 'get', '/api/v1/tasks/{id}/status', 'TaskStatusView'],
    ['events', (sut) => sut.events(ID), 'get', '/api/v1/tasks/{id}/events', 'TaskEventListView'],
    ['cancel', (sut) => sut.cancel(ID), 'delete', '/api/v1/tasks/{id}', 'TaskView'],
    ['retry', (sut) => sut.retry(ID), 'post', '/api/v1/tasks/{id}/retry', 'TaskView'],
    ['listPage', (sut) => sut.listPage({ limit: 5 }), 'get', '/api/v1/tasks', 'TaskPageView'],
    ['stats', (sut) => sut.stats(), 'get', '/api/v1/tasks/stats', 'StatsView'],
    ['taskTypes', (sut) => sut.taskTypes(), 'get', '/api/v1/task-types', 'TaskTypeListView'],
    ['dlq.summary', (sut) => sut.dlq.summary({ type: 'fail' }), 'get', '/api/v1/dlq', 'DeadLetterSummaryView'],
    ['dlq.listPage', (sut) => sut.dlq.listPage({ limit: 5 }), 'get', '/api/v1/dlq/tasks', 'DeadLetterPageView'],
    ['dlq.get', (sut) => sut.dlq.get(ID), 'get', '/api/v1/dlq/tasks/{id}', 'DeadLetterView'],
    ['dlq.replay', (sut) => sut.dlq.replay({ all: true }), 'post', '/api/v1/dlq/replay', 'ReplayResultView'],
    ['dlq.purge', (sut) => sut.dlq.purge(), 'delete', '/api/v1/dlq/messages', 'PurgeResultView'],
  ];

  it.each(calls)(
    '%s sends an operation the document has, whose success answers are the schema its type is made from',
    async (_name, call, method, path, schema) => {
      const { fetch, sent } = fakeFetch({ status: 200, body: { items: [], tasks: [], nextCursor: null } });
      await call(new TaskServiceClient({ baseUrl: BASE, fetch }));
      const sentPath = new URL(sent[0].url).pathname.replace(ID, '{id}');
      expect(`${sent[0].method.toLowerCase()} ${sentPath}`).toBe(`${method} ${path}`);

      const operation = document.paths[path]?.[method];
      expect(operation).toBeDefined();
      const successes = Object.entries(operation.responses).filter(([code]) => code.startsWith('2'));
      expect(successes.length).toBeGreaterThan(0);
      for (const [, response] of successes) expect(response.content?.['application/json']?.schema).toEqual(schemaOf(schema));
    },
  );

  it.each([
    ['listPage', (sut: TaskServiceClient) => sut.listPage({ status: 'FAILED', priority: 'HIGH', type: 'noop', limit: 5, cursor: 'c' }), '/api/v1/tasks'],
    ['dlq.summary', (sut: TaskServiceClient) => sut.dlq.summary({ type: 'fail', reason: 'timeout', since: new Date() }), '/api/v1/dlq'],
    [
      'dlq.listPage',
      (sut: TaskServiceClient) => sut.dlq.listPage({ type: 'fail', reason: 'timeout', since: new Date(), limit: 5, cursor: 'c' }),
      '/api/v1/dlq/tasks',
    ],
  ])('%s sends only query parameters the document gives its operation', async (_name, call, path) => {
    const { fetch, sent } = fakeFetch({ status: 200, body: { items: [], nextCursor: null } });
    await call(new TaskServiceClient({ baseUrl: BASE, fetch }));
    const documented = (document.paths[path].get.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
    const names = [...new URL(sent[0].url).searchParams.keys()];
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => !documented.includes(name))).toEqual([]);
  });

  it('sends a replay body whose fields are those of the schema the document gives POST /api/v1/dlq/replay', async () => {
    const { fetch, sent } = fakeFetch({ status: 202, body: { replayed: 0, taskIds: [], skipped: [] } });
    const sut = new TaskServiceClient({ baseUrl: BASE, fetch });
    await sut.dlq.replay({ ids: [ID] });
    await sut.dlq.replay({ all: true });
    await sut.dlq.replay({ type: 'fail', reason: 'timeout', since: new Date() });
    const { requestBody } = document.paths['/api/v1/dlq/replay'].post as unknown as { requestBody: { content: Record<string, { schema: unknown }> } };
    expect(requestBody.content['application/json'].schema).toEqual(schemaOf('ReplayDeadLettersDto'));
    const fields = Object.keys(document.components.schemas.ReplayDeadLettersDto.properties);
    const sentFields = sent.flatMap((s) => Object.keys(s.body as object));
    expect(new Set(sentFields)).toEqual(new Set(['ids', 'all', 'type', 'reason', 'since']));
    expect(sentFields.filter((field) => !fields.includes(field))).toEqual([]);
  });

  it('sends the idempotency key under the header name the document gives for both create calls', async () => {
    const { fetch, sent } = fakeFetch({ status: 201, body: { tasks: [] } });
    const sut = new TaskServiceClient({ baseUrl: BASE, fetch });
    await sut.create({ title: 't' }, { idempotencyKey: 'k' });
    await sut.createBatch([{ title: 't' }], { idempotencyKey: 'k' });
    for (const path of ['/api/v1/tasks', '/api/v1/tasks/batch']) {
      const headers = (document.paths[path].post.parameters ?? []).filter((p) => p.in === 'header').map((p) => p.name.toLowerCase());
      expect(headers).toContain('idempotency-key');
    }
    expect(sent.every((s) => s.headers['idempotency-key'] === 'k')).toBe(true);
  });

  it('imports nothing outside libs/client/src and no package, so the folder can be copied into another project', () => {
    const dir = join(process.cwd(), 'libs/client/src');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));
    expect(files.length).toBeGreaterThan(3);
    const outside = files.flatMap((file) =>
      [...readFileSync(join(dir, file), 'utf8').matchAll(/\bfrom\s*['"]([^'"]+)['"]/g)]
        .map((m) => m[1])
        .filter((specifier) => !specifier.startsWith('./') && !(specifier.startsWith('../') && file.includes('/')))
        .map((specifier) => `${file}: ${specifier}`),
    );
    expect(outside).toEqual([]);
  });
});

import { runCli } from './program.js';
import type { CliDependencies } from './context.js';

const KEY = 'secret-key-0123456789abcdef';
const TASK_ID = '4f6c0a52-5d0e-4c57-9a0e-0a4b1f1e3c2d';

/** A fake API: answers each request with the status and body `respond` gives, and records what was asked. */
function fakeDeps(respond: (method: string, url: string, body: unknown) => { status: number; body?: unknown }) {
  const out: string[] = [];
  const err: string[] = [];
  const calls: { method: string; url: string; authorization: string | undefined; body: unknown }[] = [];
  const apps: { app: string; args: string[]; env: Record<string, string> }[] = [];
  const fetchStub = (async (url: string | URL, init?: RequestInit) => {
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    const headers = (init?.headers ?? {}) as Record<string, string>;
    calls.push({ method: init?.method ?? 'GET', url: String(url), authorization: headers.authorization, body });
    const answer = respond(init?.method ?? 'GET', String(url), body);
    return new Response(answer.body === undefined ? '' : JSON.stringify(answer.body), { status: answer.status });
  }) as typeof fetch;
  const deps: CliDependencies = {
    env: { TASK_SERVICE_URL: 'http://api.test:3000', TASK_SERVICE_API_KEY: KEY },
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    runApp: async (app, args, env) => {
      apps.push({ app, args, env });
      return 0;
    },
    fetch: fetchStub,
  };
  return { deps, calls, apps, stdout: () => out.join(''), stderr: () => err.join('') };
}

const task = (overrides: Record<string, unknown> = {}) => ({
  id: TASK_ID,
  type: 'noop',
  title: 'a task',
  description: null,
  priority: 'MEDIUM',
  payload: {},
  status: 'COMPLETED',
  result: {},
  error: null,
  attempts: 1,
  maxAttempts: 4,
  progress: 100,
  runAt: null,
  nextRetryAt: null,
  correlationId: 'req-1',
  createdAt: '2026-11-25T10:00:00.000Z',
  updatedAt: '2026-11-25T10:00:01.000Z',
  startedAt: '2026-11-25T10:00:00.500Z',
  completedAt: '2026-11-25T10:00:01.000Z',
  ...overrides,
});

const problem = (status: number, code: string, detail: string) => ({ type: '/problems/x', title: 'x', status, code, detail });

describe(runCli.name, () => {
  it('prints the task as JSON with --json, asking the API with the key', async () => {
    const sut = fakeDeps(() => ({ status: 200, body: task() }));

    const code = await runCli(['tasks', 'show', TASK_ID, '--json'], sut.deps);

    expect(code).toBe(0);
    expect(JSON.parse(sut.stdout())).toEqual(task());
    expect(sut.calls).toEqual([{ method: 'GET', url: `http://api.test:3000/api/v1/tasks/${TASK_ID}`, authorization: `Bearer ${KEY}`, body: undefined }]);
  });

  it.each([
    [404, 3],
    [401, 5],
    [403, 5],
    [409, 1],
    [500, 1],
    [503, 1],
  ])('exits with the documented code for a %i problem, printing it and never the key', async (status, expected) => {
    const sut = fakeDeps(() => ({ status, body: problem(status, 'SOME_CODE', 'what went wrong') }));

    const code = await runCli(['tasks', 'retry', TASK_ID, '--api-key', KEY], sut.deps);

    expect(code).toBe(expected);
    expect(sut.stderr()).toContain(`error: ${status} SOME_CODE: what went wrong`);
    expect(sut.stdout() + sut.stderr()).not.toContain(KEY);
  });

  it('exits 4 when the API cannot be reached', async () => {
    const sut = fakeDeps(() => ({ status: 200 }));
    sut.deps.fetch = async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    };

    const code = await runCli(['stats'], sut.deps);

    expect(code).toBe(4);
    expect(sut.stderr()).toContain('cannot reach the task service API at http://api.test:3000 (ECONNREFUSED)');
  });

  it.each([
    [['nope']],
    [['tasks', 'show', 'not-a-uuid']],
    [['dispatch', 'noop', '--count', '0']],
    [['dispatch', 'noop', '--payload', 'not json']],
    [['dlq', 'replay']],
    [['dlq', 'replay', TASK_ID, '--all']],
    [['dlq', 'list', '--since', 'yesterday']],
    [['dlq', 'purge']],
    [['tasks', 'list', '--limit', '101']],
    [['stats', '--url', 'ftp://x']],
  ])('exits 2 for %j without asking the API', async (args) => {
    const sut = fakeDeps(() => ({ status: 200, body: {} }));

    const code = await runCli(args, sut.deps);

    expect(code).toBe(2);
    expect(sut.calls).toEqual([]);
  });

  it('exits 0 for --help', async () => {
    const sut = fakeDeps(() => ({ status: 200 }));

    expect(await runCli(['--help'], sut.deps)).toBe(0);
    expect(sut.stdout()).toContain('Exit codes: 0 ok');
  });

  it('dispatches --count over 1,000 in batches of 1,000, each task numbered', async () => {
    const sut = fakeDeps((_method, _url, body) => ({ status: 201, body: { tasks: (body as { tasks: unknown[] }).tasks.map(() => task({ status: 'NEW' })) } }));

    const code = await runCli(['dispatch', 'sleep', '--count', '2500', '--payload', '{"ms": 5}', '--priority', 'low'], sut.deps);

    expect(code).toBe(0);
    expect(sut.calls.map((c) => (c.body as { tasks: unknown[] }).tasks.length)).toEqual([1000, 1000, 500]);
    expect((sut.calls[2].body as { tasks: unknown[] }).tasks[499]).toEqual({
      type: 'sleep',
      title: 'sleep from the command line #2500',
      payload: { ms: 5 },
      priority: 'LOW',
    });
    expect(sut.stdout()).toContain('created 2500 tasks of type sleep');
  });

  it("dispatches without --payload with the least payload the type's schema accepts, and says so on stderr", async () => {
    const schema = { type: 'object', required: ['ms'], properties: { ms: { type: 'integer', minimum: 1, maximum: 60000 } } };
    const sut = fakeDeps((method, url) =>
      method === 'GET' && url.endsWith('/task-types')
        ? { status: 200, body: { items: [{ type: 'sleep', description: 'waits', payloadSchema: schema, policy: null }] } }
        : { status: 201, body: task({ type: 'sleep', status: 'NEW' }) },
    );

    const code = await runCli(['dispatch', 'sleep'], sut.deps);

    expect(code).toBe(0);
    expect(sut.calls.map((c) => `${c.method} ${new URL(c.url).pathname}`)).toEqual(['GET /api/v1/task-types', 'POST /api/v1/tasks']);
    expect(sut.calls[1].body).toEqual({ type: 'sleep', title: 'sleep from the command line', payload: { ms: 1 } });
    expect(sut.stderr()).toContain('payload from the type\'s schema: {"ms":1}');
  });

  it('sends a dlq replay selection as the API takes it', async () => {
    const sut = fakeDeps(() => ({ status: 202, body: { replayed: 0, taskIds: [], skipped: [] } }));

    await runCli(['dlq', 'replay', '--type', 'fail', '--reason', 'timeout'], sut.deps);
    await runCli(['dlq', 'replay', '--all'], sut.deps);
    await runCli(['dlq', 'replay', TASK_ID.toUpperCase()], sut.deps);

    expect(sut.calls.map((c) => c.body)).toEqual([{ type: 'fail', reason: 'timeout' }, { all: true }, { ids: [TASK_ID] }]);
  });

  it('starts the worker with the options as environment overrides', async () => {
    const sut = fakeDeps(() => ({ status: 200 }));

    const code = await runCli(['worker', '--queues', 'tasks.high', '--types', 'sleep,noop', '--concurrency', '4'], sut.deps);

    expect(code).toBe(0);
    expect(sut.apps).toEqual([{ app: 'worker', args: [], env: { WORKER_QUEUES: 'tasks.high', WORKER_TASK_TYPES: 'sleep,noop', WORKER_PREFETCH: '4' } }]);
  });

  it('exits with the code of the app it ran', async () => {
    const sut = fakeDeps(() => ({ status: 200 }));
    sut.deps.runApp = async () => 1;

    expect(await runCli(['migrate', '--wait'], sut.deps)).toBe(1);
  });
});

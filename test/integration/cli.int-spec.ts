import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { AppProcess } from './support/app-process.js';
import { eventually, Suite } from './support/suite.js';

/**
 * The command line (`bin/task-service.mjs`, apps/cli) as a child process against the real apps
 * (api, relay and worker from the build, on the suite's own database and vhost): dispatch →
 * COMPLETED, list as a table and as JSON, cancel, a task that fails for good → `dlq list`
 * groups it → `dlq replay --type` runs it again; and the exit codes scripts rely on.
 */

const WRITE_KEY = 'cli-suite-write-key-0123456789';
const READ_KEY = 'cli-suite-read-key-0123456789';

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

let suite: Suite;
let api: AppProcess;
let worker: AppProcess;

/** The command line from the build; `entry` 'bin' runs it as `npx task-service` does (checking the build first). */
function cli(args: string[], env: Record<string, string> = {}, entry: 'bin' | 'dist' = 'dist'): Promise<CliRun> {
  const base: Record<string, string | undefined> = { ...process.env, TASK_SERVICE_URL: api.url, TASK_SERVICE_API_KEY: WRITE_KEY, ...env };
  delete base.API_PORT;
  const script = entry === 'bin' ? 'bin/task-service.mjs' : 'dist/apps/cli/src/main.js';
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { env: base, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function cliJson<T>(args: string[], env?: Record<string, string>): Promise<T> {
  const run = await cli([...args, '--json'], env);
  if (run.code !== 0) throw new Error(`task-service ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

interface TaskJson {
  id: string;
  type: string;
  status: string;
  attempts: number;
}

const dispatch = async (args: string[]) => (await cliJson<{ tasks: TaskJson[] }>(['dispatch', ...args])).tasks;
/** Waits (reading the database: a process per poll would be slow) until the task has the status, then reads it with `tasks show`. */
async function untilStatus(id: string, status: string): Promise<TaskJson> {
  await eventually(async () => (await suite.taskStatus(id)) === status, 30_000, `task ${id} to be ${status}`);
  const task = await cliJson<TaskJson>(['tasks', 'show', id]);
  expect(task).toMatchObject({ id, status });
  return task;
}

/** The API itself, for the DLQ endpoints' own tests. */
async function http(method: string, path: string, body?: unknown, key = WRITE_KEY): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${api.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function outboxRows(): Promise<number> {
  const { rows } = await suite.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox');
  return rows[0].n;
}

beforeAll(async () => {
  suite = await Suite.create('cli', { API_KEYS: WRITE_KEY, API_READ_ONLY_KEYS: READ_KEY, MAX_RETRIES: '0' });
  api = await suite.startProcess('api');
  await suite.startProcess('relay');
  worker = await suite.startProcess('worker');
}, 120_000);

afterAll(async () => {
  await suite?.teardown();
});

describe('task-service (the command line) against the real apps', () => {
  it('dispatches a task that tasks show then finds COMPLETED, run as npx runs it (bin/task-service.mjs)', async () => {
    const run = await cli(['dispatch', 'noop', '--priority', 'high', '--json'], {}, 'bin');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const [task] = (JSON.parse(run.stdout) as { tasks: TaskJson[] }).tasks;

    expect(task).toMatchObject({ type: 'noop', status: 'NEW' });
    await untilStatus(task.id, 'COMPLETED');
  });

  it('dispatches --count tasks in one call, each through the outbox', async () => {
    const tasks = await dispatch(['noop', '--count', '3', '--payload', '{}']);

    expect(tasks).toHaveLength(3);
    const { rows } = await suite.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE kind = 'dispatch' AND task_id = ANY($1::uuid[])`, [
      tasks.map((t) => t.id),
    ]);
    expect(rows[0].n).toBe(3);
    for (const task of tasks) await untilStatus(task.id, 'COMPLETED');
  });

  it('lists tasks as a table for people and as JSON for scripts', async () => {
    const [task] = await dispatch(['noop', '--title', 'listed by the cli']);

    const table = await cli(['tasks', 'list', '--type', 'noop', '--limit', '100']);
    expect(table.code).toBe(0);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header.split(/\s{2,}/)).toEqual(['ID', 'TYPE', 'STATUS', 'PRIORITY', 'ATTEMPTS', 'CREATED', 'TITLE']);
    expect(rows.some((row) => row.startsWith(task.id) && row.endsWith('listed by the cli'))).toBe(true);

    const json = await cliJson<{ items: TaskJson[]; nextCursor: string | null }>(['tasks', 'list', '--type', 'noop', '--limit', '100']);
    expect(json.items.map((t) => t.id)).toContain(task.id);
    expect(json.items.every((t) => t.type === 'noop')).toBe(true);
  });

  it('cancels a task', async () => {
    const [task] = await dispatch(['sleep', '--payload', '{"ms": 60000}']);

    const run = await cli(['tasks', 'cancel', task.id]);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/cancel/);
    await untilStatus(task.id, 'CANCELLED');
  });

  it('shows a task that failed for good in dlq list, grouped, and runs it again on dlq replay --type', async () => {
    const type = 'fail';
    const failed = await dispatch([type, '--payload', '{"permanent": true, "message": "cli suite"}', '--count', '2']);
    for (const task of failed) await untilStatus(task.id, 'FAILED');

    const listed = await cliJson<{ groups: { type: string; reason: string; count: number }[]; items: { task: TaskJson; reason: string }[] }>([
      'dlq',
      'list',
      '--type',
      type,
    ]);
    expect(listed.groups).toContainEqual(expect.objectContaining({ type, reason: 'permanent-error' }));
    expect(listed.groups.find((g) => g.reason === 'permanent-error')!.count).toBeGreaterThanOrEqual(2);
    expect(listed.items.map((d) => d.task.id)).toEqual(expect.arrayContaining(failed.map((t) => t.id)));
    const table = await cli(['dlq', 'list', '--type', type]);
    expect(table.stdout).toMatch(/^fail\s+permanent-error\s+\d+/m);

    const replay = await cliJson<{ replayed: number; taskIds: string[] }>(['dlq', 'replay', '--type', type]);

    expect(replay.taskIds).toEqual(expect.arrayContaining(failed.map((t) => t.id)));
    for (const task of failed) {
      // It ran again: a second IN_PROGRESS in its timeline, and it failed for good again.
      await eventually(
        async () => {
          const { rows } = await suite.sql.query(`SELECT 1 FROM task_events WHERE task_id = $1 AND status = 'IN_PROGRESS'`, [task.id]);
          return rows.length === 2 && (await suite.taskStatus(task.id)) === 'FAILED';
        },
        30_000,
        `task ${task.id} to run again and fail`,
      );
      const { events } = await cliJson<{ task: TaskJson; events: { status: string }[] }>(['tasks', 'show', task.id, '--events']);
      expect(events.filter((e) => e.status === 'IN_PROGRESS')).toHaveLength(2);
    }
  });

  describe('exit codes', () => {
    it('3 when the task does not exist, or is not in the DLQ', async () => {
      const [done] = await dispatch(['noop']);
      await untilStatus(done.id, 'COMPLETED');

      expect((await cli(['tasks', 'show', randomUUID()])).code).toBe(3);
      expect((await cli(['dlq', 'show', done.id])).code).toBe(3);
    });

    it('2 for a wrong use of the command line, before any request', async () => {
      const usages = [
        ['bogus'],
        ['tasks', 'show', 'not-a-uuid'],
        ['dispatch', 'noop', '--priority', 'URGENT'],
        ['dispatch', 'noop', '--payload', '[1]'],
        ['dlq', 'purge'],
        ['dlq', 'replay', '--all', '--type', 'fail'],
        ['tasks'],
      ];
      const before = await outboxRows();
      const runs = await Promise.all(usages.map((args) => cli(args)));

      for (const [i, run] of runs.entries()) {
        expect({ args: usages[i], code: run.code }).toEqual({ args: usages[i], code: 2 });
        // An error naming what was wrong, or (a command group without its command) its usage.
        expect(run.stderr).toMatch(/^error: |^Usage: /m);
      }
      expect(await outboxRows()).toBe(before);
    });

    it('1 when the API refuses (a retry of a COMPLETED task is a 409), with its problem on stderr', async () => {
      const [done] = await dispatch(['noop']);
      await untilStatus(done.id, 'COMPLETED');

      const run = await cli(['tasks', 'retry', done.id]);

      expect(run.code).toBe(1);
      expect(run.stderr).toContain('409 TASK_NOT_RETRYABLE');
    });

    it('4 when the API cannot be reached, saying so', async () => {
      const run = await cli(['stats'], { TASK_SERVICE_URL: 'http://127.0.0.1:9' });

      expect(run.code).toBe(4);
      expect(run.stderr).toContain('cannot reach the task service API at http://127.0.0.1:9');
    });

    it('5 for a wrong key or a read-only key that writes, and never prints the key', async () => {
      const [wrong, readOnly, reads] = await Promise.all([
        cli(['stats'], { TASK_SERVICE_API_KEY: 'not-the-key-0123456789abcdef' }),
        cli(['dlq', 'purge', '--yes'], { TASK_SERVICE_API_KEY: READ_KEY }),
        cli(['stats'], { TASK_SERVICE_API_KEY: READ_KEY }),
      ]);

      expect([wrong.code, readOnly.code, reads.code]).toEqual([5, 5, 0]);
      expect(readOnly.stderr).toContain('API_KEY_READ_ONLY');
      for (const run of [wrong, readOnly]) expect(run.stdout + run.stderr).not.toMatch(/not-the-key|cli-suite-read-key/);
    });
  });
});

describe('the DLQ endpoints of the API', () => {
  let failedIds: string[];

  beforeAll(async () => {
    const created = await http('POST', '/tasks/batch', {
      tasks: [1, 2, 3].map((i) => ({ type: 'fail', title: `dlq endpoint ${i}`, payload: { permanent: true }, priority: 'LOW' })),
    });
    failedIds = (created.body.tasks as TaskJson[]).map((t) => t.id);
    for (const id of failedIds) await eventually(async () => (await suite.taskStatus(id)) === 'FAILED', 30_000, `task ${id} to fail`);
  });

  it('lists them grouped and paged, with filters', async () => {
    const summary = await http('GET', '/dlq?type=fail&reason=permanent-error', undefined, READ_KEY);
    expect(summary.status).toBe(200);
    expect(summary.body.groups).toEqual([expect.objectContaining({ type: 'fail', reason: 'permanent-error', count: expect.any(Number) })]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await http('GET', `/dlq/tasks?type=fail&limit=1${cursor ? `&cursor=${cursor}` : ''}`, undefined, READ_KEY);
      expect(page.status).toBe(200);
      const items = page.body.items as { task: TaskJson; reason: string }[];
      expect(items.length).toBeLessThanOrEqual(1);
      seen.push(...items.map((d) => d.task.id));
      cursor = page.body.nextCursor as string | null;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(failedIds));

    const later = await http('GET', `/dlq/tasks?type=fail&since=${new Date(Date.now() + 3_600_000).toISOString()}`, undefined, READ_KEY);
    expect(later.body.items).toEqual([]);
  });

  it.each([
    ['no selection', {}],
    ['ids and a filter together', { ids: [randomUUID()], type: 'fail' }],
    ['an id that is not a UUID', { ids: ['nope'] }],
    ['an empty id list', { ids: [] }],
    ['all: false', { all: false }],
    ['a since that is not a time', { since: 'yesterday' }],
    ['a bad type', { type: 'Not A Type!' }],
    ['an unknown field', { all: true, everything: true }],
  ])('refuses %s with a 400 problem and writes nothing', async (_name, body) => {
    const before = await outboxRows();

    const answer = await http('POST', '/dlq/replay', body);

    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(await outboxRows()).toBe(before);
    for (const id of failedIds) expect(await suite.taskStatus(id)).toBe('FAILED');
  });

  it('refuses a replay naming a task that does not exist with a 404, replaying none of the others', async () => {
    const before = await outboxRows();

    const answer = await http('POST', '/dlq/replay', { ids: [failedIds[0], randomUUID()] });

    expect(answer).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    expect(await outboxRows()).toBe(before);
    expect(await suite.taskStatus(failedIds[0])).toBe('FAILED');
  });

  it('refuses a read-only key on replay and purge (403), and lets it read', async () => {
    const before = await outboxRows();

    const replay = await http('POST', '/dlq/replay', { ids: [failedIds[0]] }, READ_KEY);
    const purge = await http('DELETE', '/dlq/messages', undefined, READ_KEY);
    const read = await http('GET', `/dlq/tasks/${failedIds[0]}`, undefined, READ_KEY);

    expect([replay.status, purge.status, read.status]).toEqual([403, 403, 200]);
    expect(replay.body).toMatchObject({ code: 'API_KEY_READ_ONLY', type: '/problems/forbidden' });
    expect(read.body).toMatchObject({ reason: 'permanent-error', task: { id: failedIds[0], status: 'FAILED' } });
    expect(await outboxRows()).toBe(before);
    expect(await suite.taskStatus(failedIds[0])).toBe('FAILED');
  });

  it('replays a selection: the FAILED ones back to NEW with a dispatch each, the others reported', async () => {
    const completed = (await http('POST', '/tasks', { type: 'noop', title: 'not failed' })).body.id as string;
    await eventually(async () => (await suite.taskStatus(completed)) === 'COMPLETED', 30_000, 'the noop task to complete');
    const selection = [failedIds[0], failedIds[1], completed];

    const answer = await http('POST', '/dlq/replay', { ids: selection });

    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ replayed: 2, taskIds: [failedIds[0], failedIds[1]], skipped: [{ id: completed, status: 'COMPLETED' }] });
    const { rows } = await suite.sql.query<{ task_id: string }>(
      `SELECT task_id FROM outbox WHERE kind = 'dispatch' AND task_id = ANY($1::uuid[]) AND created_at > now() - interval '1 minute' ORDER BY task_id`,
      [selection],
    );
    expect(rows.filter((r) => r.task_id !== completed).length).toBeGreaterThanOrEqual(2);
    expect(await suite.taskStatus(failedIds[2])).toBe('FAILED');
    // They run again (and fail again: the handler fails every attempt).
    for (const id of failedIds.slice(0, 2)) {
      await eventually(
        async () => {
          const { rows: events } = await suite.sql.query(`SELECT 1 FROM task_events WHERE task_id = $1 AND status = 'IN_PROGRESS'`, [id]);
          return events.length === 2 && (await suite.taskStatus(id)) === 'FAILED';
        },
        30_000,
        `task ${id} to run again`,
      );
    }
  });

  it('purges the copies in tasks.dlq and keeps the FAILED tasks listed', async () => {
    await eventually(async () => (await suite.queueDepth('tasks.dlq')) >= failedIds.length, 30_000, 'the dead-letter copies to reach tasks.dlq');
    const depth = await suite.queueDepth('tasks.dlq');

    const answer = await http('DELETE', '/dlq/messages');

    expect(answer.status).toBe(200);
    expect(answer.body.purged).toBeGreaterThanOrEqual(depth);
    expect(await suite.queueDepth('tasks.dlq')).toBe(0);
    const still = await http('GET', `/dlq/tasks/${failedIds[2]}`);
    expect(still).toMatchObject({ status: 200, body: { reason: 'permanent-error' } });
  });

  it('documents every DLQ operation in the OpenAPI document: a summary, bearer security, its problems, 403 on writes', async () => {
    const document = (await (await fetch(`${api.url}/docs-json`)).json()) as {
      paths: Record<string, Record<string, { summary?: string; security?: unknown[]; responses: Record<string, unknown>; parameters?: { name: string }[] }>>;
    };
    const operations = Object.entries(document.paths)
      .filter(([path]) => path.startsWith('/api/v1/dlq'))
      .flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, method, op })));

    expect(operations.map((o) => o.name).sort()).toEqual([
      'DELETE /api/v1/dlq/messages',
      'GET /api/v1/dlq',
      'GET /api/v1/dlq/tasks',
      'GET /api/v1/dlq/tasks/{id}',
      'POST /api/v1/dlq/replay',
    ]);
    for (const { name, method, op } of operations) {
      expect({ name, summary: typeof op.summary, security: op.security }).toEqual({ name, summary: 'string', security: [{ bearer: [] }] });
      expect({ name, has401: '401' in op.responses, has403: '403' in op.responses }).toEqual({ name, has401: true, has403: method !== 'get' });
      const names = (op.parameters ?? []).map((p) => p.name);
      expect({ name, duplicates: names.filter((n, i) => names.indexOf(n) !== i) }).toEqual({ name, duplicates: [] });
    }
  });
});

describe('task-service worker and migrate: the apps run here', () => {
  it('migrate --wait exits 0 on a migrated database, changing nothing', async () => {
    const run = await cli(['migrate', '--wait'], suite.env({ LOG_LEVEL: 'error' }));

    expect(run.code).toBe(0);
  });

  it('worker --queues --concurrency runs a worker that takes the tasks, and stops gracefully (exit 0) on SIGTERM', async () => {
    await worker.stop();
    const child = spawn(process.execPath, ['dist/apps/cli/src/main.js', 'worker', '--queues', 'tasks.low', '--concurrency', '2'], {
      env: { ...process.env, ...suite.env({ HEALTH_CHECK_PORT: '0', LOG_LEVEL: 'info' }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const [task] = await dispatch(['noop', '--priority', 'low']);

      await untilStatus(task.id, 'COMPLETED');
      expect(output).toMatch(/consuming tasks\.low \(\w+\) with prefetch 2/);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import pg from 'pg';
import type { AppProcess } from './support/app-process.js';
import { type PrivatePgBouncer, pgbouncerBin, startPrivatePgBouncer } from './support/private-services.js';
import { Suite, eventually } from './support/suite.js';

/**
 * The whole path through PgBouncer in transaction mode, as a managed PostgreSQL behind a pooler
 * is reached: the migrate app, api, relay and worker as real processes whose DATABASE_URL points
 * at a PgBouncer of the suite's own (its own port, ini and user list in a temp dir, in front of
 * the shared PostgreSQL and the suite's database only). Nothing may rely on session state there.
 * The relay LISTENs straight to PostgreSQL through OUTBOX_LISTEN_DATABASE_URL, or, without it,
 * polls and says so.
 */
const bin = pgbouncerBin();
const withPgBouncer = bin ? describe : describe.skip;
if (!bin) console.warn('pgbouncer.int-spec skipped: pgbouncer is not installed (apt-get install -y pgbouncer, which .ci/run does)');

interface Run {
  lines: string[];
  exited: Promise<number | null>;
}

/** `node dist/apps/migrate/src/main.js ...args` with `env`, its output kept line by line. */
function runMigrate(args: string[], env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['dist/apps/migrate/src/main.js', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', (line) => lines.push(line));
  return { lines, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

const LISTENING = `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND query = 'LISTEN outbox_pending'`;
const POLL_LINE = /POSTGRES_POOLER=transaction and OUTBOX_LISTEN_DATABASE_URL is empty.*polls the outbox every 200 ms/;

withPgBouncer('through PgBouncer in transaction mode', () => {
  let suite: Suite;
  let bouncer: PrivatePgBouncer;
  let api: AppProcess;
  let relay: AppProcess | undefined;

  /** The apps' connection: through the pooler, declared as a transaction pooler. */
  const viaPooler = () => ({ DATABASE_URL: bouncer.url(suite.database), POSTGRES_POOLER: 'transaction' });
  /** A direct connection to the suite's database, past the pooler. */
  const direct = () => `postgres://postgres@127.0.0.1:5432/${suite.database}`;

  const call = async (method: string, path: string, body?: object) => {
    const response = await fetch(`${api.url}/api/v1${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const until = (id: string, status: string, extra: (task: Record<string, unknown>) => boolean = () => true) =>
    eventually(
      async () => {
        const { body } = await call('GET', `/tasks/${id}`);
        return body.status === status && extra(body) ? body : undefined;
      },
      30_000,
      `task ${id} to be ${status}`,
    );

  /** The pooler's own view: client connections it holds for the suite's database (SHOW CLIENTS). */
  const pooledClients = async () => {
    const admin = new pg.Client({ connectionString: bouncer.url('pgbouncer') });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ database: string }>('SHOW CLIENTS');
      return rows.filter((row) => row.database === suite.database).length;
    } finally {
      await admin.end();
    }
  };

  beforeAll(async () => {
    suite = await Suite.create('pgbouncer', {}, { migrate: false });
    bouncer = await startPrivatePgBouncer({ name: 'pgbouncer', databases: [suite.database] });
  });

  afterAll(async () => {
    await suite?.teardown();
    await bouncer?.stop();
  });

  it('migrates an empty database through the pooler, while migrate --wait waits for it and then exits 0', async () => {
    const waiting = runMigrate(['--wait'], viaPooler());
    await eventually(async () => waiting.lines.some((line) => /waiting for \d+ pending migration\(s\)/.test(line)), 20_000, 'migrate --wait to wait');

    const migrating = runMigrate([], viaPooler());
    expect(await migrating.exited).toBe(0);
    expect(migrating.lines.join('\n')).toMatch(/applied \d+ migration\(s\)/);

    expect(await waiting.exited).toBe(0);
    expect(waiting.lines.at(-1)).toMatch(/has every migration of this build/);
    const { rows } = await suite.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM migrations');
    expect(rows[0].n).toBeGreaterThan(0);
  });

  it('creates, dispatches (relay woken by a LISTEN on OUTBOX_LISTEN_DATABASE_URL), completes, cancels and retries', async () => {
    api = await suite.startProcess('api', viaPooler());
    // The poll is an hour away: a task goes out only when the NOTIFY wakes the relay.
    relay = await suite.startProcess('relay', { ...viaPooler(), OUTBOX_LISTEN_DATABASE_URL: direct(), OUTBOX_POLL_INTERVAL: '3600000' });
    await suite.startProcess('worker', viaPooler());
    expect(relay.lines.join('\n')).toContain('LISTEN outbox_pending on OUTBOX_LISTEN_DATABASE_URL');
    await eventually(async () => (await suite.sql.query<{ n: number }>(LISTENING, [suite.database])).rows[0].n === 1, 20_000, 'the relay to LISTEN directly');
    expect(await pooledClients()).toBeGreaterThanOrEqual(3);

    const created = await call('POST', '/tasks', { title: 'through pgbouncer', type: 'noop', priority: 'HIGH' });
    expect(created.status).toBe(201);
    const done = await until(created.body.id as string, 'COMPLETED');
    expect(done.attempts).toBe(1);

    const long = await call('POST', '/tasks', { title: 'cancel through pgbouncer', type: 'sleep', payload: { ms: 600_000 } });
    const id = long.body.id as string;
    await until(id, 'IN_PROGRESS');
    expect((await call('DELETE', `/tasks/${id}`)).status).toBe(202);
    await until(id, 'CANCELLED');

    expect((await call('POST', `/tasks/${id}/retry`)).status).toBe(202);
    await until(id, 'IN_PROGRESS', (task) => task.attempts === 1);
    expect((await call('DELETE', `/tasks/${id}`)).status).toBe(202);
    await until(id, 'CANCELLED');

    const { body: timeline } = await call('GET', `/tasks/${id}/events`);
    const statuses = (timeline.items as { status: string }[]).map((event) => event.status);
    expect(statuses.filter((status) => status === 'IN_PROGRESS')).toHaveLength(2);
    expect(statuses.at(-1)).toBe('CANCELLED');
  });

  it('without OUTBOX_LISTEN_DATABASE_URL the relay does not LISTEN, says once that it polls, and tasks still complete', async () => {
    await relay?.kill();
    await eventually(async () => (await suite.sql.query<{ n: number }>(LISTENING, [suite.database])).rows[0].n === 0, 20_000, 'the old LISTEN to end');
    const polling = await suite.startProcess('relay', { ...viaPooler(), OUTBOX_POLL_INTERVAL: '200' });

    const created = await call('POST', '/tasks', { title: 'polled through pgbouncer', type: 'noop' });
    await until(created.body.id as string, 'COMPLETED');

    expect(polling.lines.filter((line) => POLL_LINE.test(line))).toHaveLength(1);
    expect((await suite.sql.query<{ n: number }>(LISTENING, [suite.database])).rows[0].n).toBe(0);
  });
});

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, type WriteStream } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startPrivatePostgres, startPrivateRabbitMQ, type PrivatePostgres, type PrivateRabbitMQ } from '../integration/support/private-services.js';

/**
 * `npm run soak -- --minutes N`: the whole system as real processes (api, relay, a worker on all
 * queues and one on tasks.high) on a private PostgreSQL and RabbitMQ, fed every task type at every
 * priority with cancels and user retries, while a seeded random schedule kills apps with
 * SIGKILL, restarts the broker and the database, closes connections from the broker side,
 * purges a work or delay queue (unless --no-purge) and pauses a worker with SIGSTOP. Then the chaos stops,
 * the system settles (bounded), and an audit counts what must be zero. See
 * documents/failure-handling.md.
 */

const ROOT = new URL('../../../', import.meta.url).pathname;
const APP_ENTRY = join(ROOT, 'dist/test/soak/soak-app.js');
const TERMINAL = ['COMPLETED', 'FAILED', 'CANCELLED'];
const WORK_QUEUES = ['tasks.high', 'tasks.medium', 'tasks.low'];
const PRIORITIES = ['LOW', 'MEDIUM', 'HIGH'];
/** The ladder: three distinct steps, so a retry that waits the wrong one shows. */
const RETRY_DELAYS = [1, 2, 3];
/** A retry that starts this much after its step, with no fault in between, is late. */
const LATE_TOLERANCE_S = 3;
/** A retry may start this much before its step (timestamps are rounded by nobody, but be fair). */
const EARLY_TOLERANCE_S = 0.1;
/** How soon a process woken by SIGCONT must stop a run whose task was taken over meanwhile. */
const FROZEN_WAKE_GRACE_MS = 500;
/** After a fault, how long its effects may delay a retry before a late start counts. */
const FAULT_SHADOW_MS = 15_000;

export interface SoakOptions {
  minutes: number;
  seed: number;
  /** Purge a work queue as one of the faults (tasks then wait for the reconciler). */
  purge: boolean;
  /** Bound on the wait for the system to settle once the faults stop. */
  settleSeconds: number;
  /** Tasks created per second, about. */
  rate: number;
  /** Keep the work dir (app logs, probe logs) even when every check passes. */
  keep: boolean;
  log: (line: string) => void;
}

export interface Check {
  name: string;
  count: number;
  ok: boolean;
  /** Evidence: task ids and what happened, at most a few. */
  examples: string[];
}

export interface SoakReport {
  seed: number;
  minutes: number;
  purge: boolean;
  workDir: string;
  created: number;
  byStatus: Record<string, number>;
  faults: Record<string, number>;
  load: Record<string, number>;
  settledInSeconds: number | null;
  checks: Check[];
  ok: boolean;
}

// ---------------------------------------------------------------- a seeded random source

/** mulberry32: small, fast, and the same sequence for the same seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- the apps as processes

type Role = 'api' | 'relay' | 'worker';

/** One app as a real process from the build; restartable; its output goes to a log file. */
class SoakApp {
  child?: ChildProcess;
  port = 0;
  paused = false;
  /** When each pid of this app died, for the probe runs it never ended. */
  readonly deaths = new Map<number, number>();
  /** Exits the soak did not cause (a crash): pid, code or signal. */
  readonly crashes: string[] = [];
  /** When each pid was frozen by SIGSTOP. */
  readonly pauses: { pid: number; from: number; to: number }[] = [];
  private expectedExit = false;
  private readonly log: WriteStream;

  constructor(
    readonly name: string,
    readonly role: Role,
    private readonly env: () => Record<string, string>,
    workDir: string,
  ) {
    this.log = createWriteStream(join(workDir, `${name}.log`), { flags: 'a' });
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the app and waits for its "listening on port" line; tries again while it fails (a fault may be under way). */
  async start(timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await this.startOnce(Math.min(30_000, Math.max(1000, deadline - Date.now())))) return;
      if (Date.now() > deadline) throw new Error(`${this.name} did not start within ${timeoutMs} ms; see ${this.name}.log`);
      await sleep(1000);
    }
  }

  private async startOnce(timeoutMs: number): Promise<boolean> {
    const child = spawn(process.execPath, [APP_ENTRY, this.role], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'info', API_PORT: '0', HEALTH_CHECK_PORT: '0', ...this.env() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.paused = false;
    this.expectedExit = false;
    child.once('exit', (code, signal) => {
      this.deaths.set(child.pid!, this.deaths.get(child.pid!) ?? Date.now());
      if (!this.expectedExit) this.crashes.push(`${this.name} pid ${child.pid} exited by itself (${signal ?? `code ${code}`}) at ${new Date().toISOString()}`);
    });
    this.log.write(`--- ${new Date().toISOString()} started pid ${child.pid}\n`);
    const listening = new Promise<number>((resolve) => {
      for (const stream of [child.stdout, child.stderr]) {
        createInterface({ input: stream }).on('line', (line) => {
          this.log.write(`${line}\n`);
          const match = /listening on port (\d+)/.exec(line);
          if (match) resolve(Number(match[1]));
        });
      }
    });
    const exited = new Promise<null>((resolve) => child.once('exit', () => resolve(null)));
    const port = await Promise.race([listening, exited, sleep(timeoutMs).then(() => null)]);
    if (port === null) {
      // A start that fails while a fault is under way is tried again, not a crash.
      this.expectedExit = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return false;
    }
    this.port = port;
    return true;
  }

  /** kill -9: no shutdown hook runs. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exit = new Promise((resolve) => child.once('exit', resolve));
    this.deaths.set(child.pid!, Date.now());
    this.expectedExit = true;
    child.kill('SIGKILL');
    this.paused = false;
    await exit;
  }

  pause(): void {
    if (this.running) {
      this.child!.kill('SIGSTOP');
      this.paused = true;
      this.pauses.push({ pid: this.child!.pid!, from: Date.now(), to: Number.POSITIVE_INFINITY });
    }
  }

  resume(): void {
    if (this.running && this.paused) this.child!.kill('SIGCONT');
    const last = this.pauses.at(-1);
    if (this.paused && last) last.to = Date.now();
    this.paused = false;
  }

  /** SIGTERM, then SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 15_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    this.resume();
    const exit = new Promise((resolve) => child.once('exit', resolve));
    this.expectedExit = true;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exit;
    clearTimeout(timer);
    this.log.end();
  }
}

// ---------------------------------------------------------------- the service http.request calls

/** `/ok` 200; `/flaky/<key>` 503 on its first call, then 200; `/gone` 404. */
function startHttpTarget(): Promise<{ server: Server; port: number }> {
  const seen = new Set<string>();
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const flaky = /^\/flaky\/([\w-]+)/.exec(url);
    let status = 200;
    if (url.startsWith('/gone')) status = 404;
    else if (flaky && !seen.has(flaky[1])) {
      seen.add(flaky[1]);
      status = 503;
    }
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status }));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

// ---------------------------------------------------------------- the soak

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log;
  const rnd = random(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)];
  const between = (min: number, max: number) => Math.round(min + rnd() * (max - min));
  const t0 = Date.now();
  const stamp = () => `+${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s`;

  removeLeftoverWorkDirs();
  const workDir = mkdtempSync(join(tmpdir(), `task-soak-${process.pid}-`));
  const probeDir = join(workDir, 'probe');
  mkdirSync(probeDir);
  log(`soak: seed ${options.seed}, ${options.minutes} min of faults, purge ${options.purge ? 'on' : 'off'}, work dir ${workDir}`);

  let postgres: PrivatePostgres | undefined;
  let rabbit: PrivateRabbitMQ | undefined;
  let target: { server: Server; port: number } | undefined;
  let sql: pg.Pool | undefined;
  const apps: SoakApp[] = [];
  let failed = true;
  try {
    [postgres, rabbit, target] = await Promise.all([startPrivatePostgres({ name: 'soak' }), startPrivateRabbitMQ({ name: 'soak' }), startHttpTarget()]);
    log(`${stamp()} private PostgreSQL on ${postgres.port}, RabbitMQ on ${rabbit.port}, HTTP target on ${target.port}`);
    const env: Record<string, string> = {
      DATABASE_URL: postgres.url('tasks_soak'),
      RABBITMQ_URL: rabbit.url(),
      OUTBOX_POLL_INTERVAL: '200',
      RETRY_DELAYS_SECONDS: RETRY_DELAYS.join(','),
      MAX_RETRIES: '3',
      TASK_TIMEOUT_SECONDS: '6',
      TASK_LEASE_SECONDS: '6',
      WORKER_PREFETCH: '8',
      SHUTDOWN_TIMEOUT_SECONDS: '5',
      RECONCILE_AFTER_SECONDS: '5',
      HTTP_TASK_ALLOWED_HOSTS: `127.0.0.1:${target.port}`,
      SOAK_PROBE_DIR: probeDir,
    };
    await migrate(env);
    sql = new pg.Pool({ connectionString: env.DATABASE_URL, max: 3 });
    sql.on('error', () => undefined);

    const api = new SoakApp('api', 'api', () => env, workDir);
    const relay = new SoakApp('relay', 'relay', () => env, workDir);
    const worker = new SoakApp('worker', 'worker', () => env, workDir);
    const workerHigh = new SoakApp('worker-high', 'worker', () => ({ ...env, WORKER_QUEUES: 'tasks.high' }), workDir);
    apps.push(api, relay, worker, workerHigh);
    await Promise.all(apps.map((a) => a.start()));
    log(`${stamp()} api, relay, worker and worker-high are up (api on ${api.port})`);

    // ------------------------------------------------------------ load
    const load = { created: 0, createRefused: 0, cancelled: 0, cancelRefused: 0, retried: 0, retryRefused: 0 };
    const created: string[] = [];
    const newTask = (i: number): Record<string, unknown> => {
      const priority = pick(PRIORITIES);
      const r = rnd();
      const base = { title: `soak ${i}`, priority };
      if (r < 0.15) return { ...base, type: 'noop' };
      if (r < 0.3) return { ...base, type: 'sleep', payload: { ms: between(100, 1500) } };
      if (r < 0.4) return { ...base, type: 'fail', payload: { times: between(1, 2) } };
      if (r < 0.45) return { ...base, type: 'fail', payload: {} };
      if (r < 0.5) return { ...base, type: 'fail', payload: { permanent: true } };
      if (r < 0.58) return { ...base, type: 'http.request', payload: { url: `http://127.0.0.1:${target!.port}/ok`, method: 'GET' } };
      if (r < 0.63) return { ...base, type: 'http.request', payload: { url: `http://127.0.0.1:${target!.port}/flaky/t${i}`, method: 'POST', body: { i } } };
      if (r < 0.67) return { ...base, type: 'http.request', payload: { url: `http://127.0.0.1:${target!.port}/gone`, method: 'GET' } };
      return { ...base, type: 'soak.probe', payload: { ms: between(200, 1500) } };
    };
    const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any } | undefined> => {
      if (!api.running || api.paused) return undefined;
      try {
        const res = await fetch(`${api.url}/api/v1${path}`, {
          method,
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(5000),
        });
        return { status: res.status, body: await res.json().catch(() => undefined) };
      } catch {
        return undefined;
      }
    };
    let loading = true;
    const loadLoop = (async () => {
      let i = 0;
      let next = Date.now();
      while (loading) {
        next += 1000 / options.rate;
        await sleep(Math.max(0, next - Date.now()));
        i++;
        const res = await call('POST', '/tasks', newTask(i));
        if (res?.status === 201) {
          load.created++;
          created.push(res.body.id);
        } else load.createRefused++;
        // About one cancel and one user retry per 8 creates.
        if (i % 8 === 3 && created.length > 0) {
          const id = created[Math.max(0, created.length - 1 - between(0, 20))];
          const cancel = await call('DELETE', `/tasks/${id}`);
          if (cancel?.status === 200 || cancel?.status === 202) load.cancelled++;
          else load.cancelRefused++;
        }
        if (i % 8 === 7) {
          const { rows } = await sql
            .query<{ id: string }>("SELECT id FROM tasks WHERE status IN ('FAILED', 'CANCELLED') ORDER BY random() LIMIT 1")
            .catch(() => ({ rows: [] as { id: string }[] }));
          if (rows[0]) {
            const retry = await call('POST', `/tasks/${rows[0].id}/retry`);
            if (retry?.status === 202) load.retried++;
            else load.retryRefused++;
          }
        }
      }
    })();

    // ------------------------------------------------------------ faults
    type Fault = 'kill' | 'restart-rabbitmq' | 'restart-postgres' | 'close-connections' | 'purge' | 'pause-worker';
    const kinds: Fault[] = [
      'kill',
      'restart-rabbitmq',
      'restart-postgres',
      'close-connections',
      'pause-worker',
      ...(options.purge ? (['purge'] as Fault[]) : []),
    ];
    const weights: Record<Fault, number> = { kill: 4, 'restart-rabbitmq': 1, 'restart-postgres': 1.5, 'close-connections': 2, purge: 1, 'pause-worker': 2 };
    const faults: Record<string, number> = {};
    const windows: { from: number; to: number }[] = [];
    const weighted = (): Fault => {
      const total = kinds.reduce((sum, k) => sum + weights[k], 0);
      let r = rnd() * total;
      for (const k of kinds) if ((r -= weights[k]) < 0) return k;
      return kinds[0];
    };
    // Every kind once, in a seeded order (even past the end of a short run), then at random by weight.
    const firstRound = [...kinds].sort(() => rnd() - 0.5);
    // The faults last `minutes` from the moment every app is up.
    const chaosEnd = Date.now() + options.minutes * 60_000;
    const faultOnce = async (kind: Fault): Promise<string> => {
      switch (kind) {
        case 'kill': {
          const app = pick(apps);
          const pid = app.child?.pid;
          await app.kill();
          await sleep(between(200, 3000));
          await app.start();
          return `kill -9 ${app.name} (pid ${pid}), restarted as pid ${app.child?.pid}`;
        }
        case 'restart-rabbitmq':
          await rabbit!.restart();
          return 'RabbitMQ restarted';
        case 'restart-postgres':
          await postgres!.restart();
          return 'PostgreSQL restarted (fast)';
        case 'close-connections':
          await rabbit!.ctl(['close_all_connections', 'soak: closed by the broker']);
          return 'RabbitMQ closed every connection';
        case 'purge': {
          // Both workers are frozen for a moment so messages wait in the queues (a purge that
          // removes nothing proves nothing); then the work or delay queue holding the most ready
          // messages is purged. Its tasks wait for the reconciler.
          worker.pause();
          workerHigh.pause();
          try {
            await sleep(3000);
            const ready = parseQueues(await rabbit!.ctl(['list_queues', 'name', 'messages_ready', 'messages_unacknowledged'])).filter((q) =>
              /^tasks\.(high|medium|low|retry\.\d+s)$/.test(q.name),
            );
            // With nothing ready anywhere, a random work queue: a purge of an empty queue is a no-op.
            const queue = ready.sort((a, b) => b.ready - a.ready)[0]?.name ?? pick(WORK_QUEUES);
            const count = ready.find((q) => q.name === queue)?.ready ?? 0;
            await rabbit!.ctl(['purge_queue', queue]);
            return `froze both workers 3 s and purged ${queue} (about ${count} ready messages)`;
          } finally {
            worker.resume();
            workerHigh.resume();
          }
        }
        case 'pause-worker': {
          const app = pick([worker, workerHigh]);
          const ms = between(2000, 16_000);
          app.pause();
          await sleep(ms);
          app.resume();
          return `SIGSTOP ${app.name} (pid ${app.child?.pid}) for ${ms} ms, then SIGCONT`;
        }
      }
    };
    while (Date.now() < chaosEnd || firstRound.length > 0) {
      await sleep(between(1000, 5000));
      if (Date.now() >= chaosEnd && firstRound.length === 0) break;
      // Like a process supervisor: an app that died by itself is started again (and reported).
      for (const app of apps) {
        if (!app.running) {
          log(`${stamp()} ${app.name} is not running (${app.crashes.at(-1) ?? 'exited'}): starting it again`);
          await app.start();
        }
      }
      const kind = firstRound.shift() ?? weighted();
      const from = Date.now();
      try {
        const what = await faultOnce(kind);
        log(`${stamp()} ${what}`);
      } catch (error) {
        log(`${stamp()} fault ${kind} failed: ${(error as Error).message.split('\n')[0]}`);
      }
      windows.push({ from, to: Date.now() });
      faults[kind] = (faults[kind] ?? 0) + 1;
    }
    loading = false;
    await loadLoop;
    log(`${stamp()} faults stopped; ${load.created} tasks created; settling (at most ${options.settleSeconds} s)`);

    // ------------------------------------------------------------ settle
    for (const app of apps) {
      app.resume();
      if (!app.running) await app.start();
    }
    const settleStart = Date.now();
    let settledInSeconds: number | null = null;
    const queues = async () => parseQueues(await rabbit!.ctl(['list_queues', 'name', 'messages_ready', 'messages_unacknowledged']));
    while (Date.now() - settleStart < options.settleSeconds * 1000) {
      try {
        const { rows } = await sql.query<{ open: number; outbox: number }>(
          `SELECT (SELECT count(*)::int FROM tasks WHERE status <> ALL($1::task_status[])) AS open,
                  (SELECT count(*)::int FROM outbox WHERE published_at IS NULL AND failed_at IS NULL) AS outbox`,
          [TERMINAL],
        );
        const depth = (await queues()).filter((q) => q.name !== 'tasks.dlq').reduce((sum, q) => sum + q.ready + q.unacked, 0);
        if (rows[0].open === 0 && rows[0].outbox === 0 && depth === 0) {
          settledInSeconds = Math.round((Date.now() - settleStart) / 100) / 10;
          break;
        }
      } catch {
        // a service is still coming back
      }
      await sleep(500);
    }
    log(settledInSeconds === null ? `${stamp()} did not settle within ${options.settleSeconds} s` : `${stamp()} settled in ${settledInSeconds} s`);

    // ------------------------------------------------------------ audit
    const report = await auditSoak({ sql, queues: await queues(), probeDir, apps, windows, created: load.created });
    const crashes = apps.flatMap((a) => a.crashes);
    report.checks.push({ name: 'apps that exited by themselves', count: crashes.length, ok: crashes.length === 0, examples: crashes.slice(0, 5) });
    const result: SoakReport = {
      seed: options.seed,
      minutes: options.minutes,
      purge: options.purge,
      workDir,
      created: report.total,
      byStatus: report.byStatus,
      faults,
      load,
      settledInSeconds,
      checks: report.checks,
      ok: report.checks.every((c) => c.ok),
    };
    failed = !result.ok;
    return result;
  } finally {
    await Promise.all(apps.map((a) => a.stop().catch(() => undefined)));
    await sql?.end().catch(() => undefined);
    target?.server.close();
    await Promise.all([postgres?.stop().catch(() => undefined), rabbit?.stop().catch(() => undefined)]);
    if (!failed && !options.keep) rmSync(workDir, { recursive: true, force: true });
    else log(`app and probe logs kept in ${workDir}`);
  }
}

/** `npm run migration:run` against the private database (it creates the database first). */
function migrate(env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join(ROOT, 'dist/apps/migrate/src/main.js')], { cwd: ROOT, env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      error ? reject(new Error(`migration failed: ${stderr || stdout}`)) : resolve(),
    );
  });
}

function parseQueues(out: string): { name: string; ready: number; unacked: number }[] {
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((cols) => cols.length === 3 && /^\d+$/.test(cols[1]))
    .map(([name, ready, unacked]) => ({ name, ready: Number(ready), unacked: Number(unacked) }));
}

/** Work dirs of soaks whose process is gone. */
function removeLeftoverWorkDirs(): void {
  for (const entry of readdirSync(tmpdir())) {
    const match = /^task-soak-(\d+)-/.exec(entry);
    if (!match) continue;
    try {
      process.kill(Number(match[1]), 0);
    } catch {
      // Logs of a crashed soak are evidence; keep them a day.
      const dir = join(tmpdir(), entry);
      const age = Date.now() - (existsSync(dir) ? statSync(dir).mtimeMs : 0);
      if (age > 24 * 3600_000) rmSync(dir, { recursive: true, force: true });
    }
  }
}

// ---------------------------------------------------------------- the audit

interface EventRow {
  task_id: string;
  at: Date;
  status: string;
  attempt: number;
  detail: string | null;
  error: string | null;
  worker: string | null;
}

interface ProbeLine {
  event: 'start' | 'end';
  run: string;
  taskId: string;
  attempt: number;
  pid: number;
  at: number;
  outcome: string;
}

async function auditSoak(input: {
  sql: pg.Pool;
  queues: { name: string; ready: number; unacked: number }[];
  probeDir: string;
  apps: SoakApp[];
  windows: { from: number; to: number }[];
  created: number;
}): Promise<{ total: number; byStatus: Record<string, number>; checks: Check[] }> {
  const { sql } = input;
  const checks: Check[] = [];
  const timeline = async (id: string): Promise<string> => {
    const { rows } = await sql.query<EventRow>('SELECT * FROM task_events WHERE task_id = $1 ORDER BY id', [id]);
    return rows
      .map(
        (e) =>
          `${e.at.toISOString().slice(11, 23)} ${e.status} #${e.attempt}${e.worker ? ` ${e.worker}` : ''}` +
          `${e.detail ? ` (${e.detail})` : ''}${e.error ? ` [${e.error.slice(0, 80)}]` : ''}`,
      )
      .join('; ');
  };

  const { rows: statuses } = await sql.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM tasks GROUP BY status');
  const byStatus = Object.fromEntries(statuses.map((s) => [s.status, s.n]));
  const total = statuses.reduce((sum, s) => sum + s.n, 0);

  // Lost: created (a row exists) but not terminal once the system settled.
  const { rows: open } = await sql.query<{ id: string; type: string; status: string }>(
    'SELECT id, type, status FROM tasks WHERE status <> ALL($1::task_status[]) ORDER BY created_at',
    [TERMINAL],
  );
  checks.push({
    name: 'lost (created, not terminal)',
    count: open.length,
    ok: open.length === 0,
    examples: await Promise.all(open.slice(0, 5).map(async (t) => `${t.id} ${t.type} ${t.status}: ${await timeline(t.id)}`)),
  });

  // A terminal status written twice within one life of a task (a user retry starts a new life at NEW).
  const { rows: twice } = await sql.query<{ task_id: string; n: number }>(
    `SELECT task_id, count(*)::int AS n FROM (
       SELECT task_id, status, count(*) FILTER (WHERE status = 'NEW') OVER (PARTITION BY task_id ORDER BY id) AS life FROM task_events
     ) e WHERE status = ANY($1::task_status[]) GROUP BY task_id, life HAVING count(*) > 1`,
    [TERMINAL],
  );
  checks.push({
    name: 'terminal status written twice',
    count: twice.length,
    ok: twice.length === 0,
    examples: await Promise.all(twice.slice(0, 5).map(async (t) => `${t.task_id}: ${await timeline(t.task_id)}`)),
  });

  // Overlapping runs of one task, from the probe's own records.
  const lines: ProbeLine[] = [];
  for (const file of readdirSync(input.probeDir)) {
    for (const line of readFileSync(join(input.probeDir, file), 'utf8').split('\n')) if (line) lines.push(JSON.parse(line) as ProbeLine);
  }
  const deaths = new Map<number, number>();
  for (const app of input.apps) for (const [pid, at] of app.deaths) deaths.set(pid, at);
  const runs = new Map<string, { taskId: string; attempt: number; pid: number; start: number; end?: number; outcome?: string }>();
  for (const l of lines) {
    const run = runs.get(l.run) ?? { taskId: l.taskId, attempt: l.attempt, pid: l.pid, start: l.at };
    if (l.event === 'start') run.start = l.at;
    else {
      run.end = l.at;
      run.outcome = l.outcome;
    }
    runs.set(l.run, run);
  }
  const now = Date.now();
  const byTask = new Map<string, (typeof runs extends Map<string, infer R> ? R : never)[]>();
  for (const run of runs.values()) byTask.set(run.taskId, [...(byTask.get(run.taskId) ?? []), run]);
  const overlaps: string[] = [];
  const frozenOverlaps: string[] = [];
  const pauses = input.apps.flatMap((a) => a.pauses);
  /** Milliseconds of [from, to) during which neither pid was frozen (nor waking up: a grace after SIGCONT). */
  const executing = (from: number, to: number, pids: number[]): number => {
    const frozen = pauses.filter((p) => pids.includes(p.pid)).map((p) => ({ from: p.from, to: p.to + FROZEN_WAKE_GRACE_MS }));
    let ms = 0;
    for (let t = from; t < to; t += 10) if (!frozen.some((f) => f.from <= t && t < f.to)) ms += Math.min(10, to - t);
    return ms;
  };
  const unfinished: string[] = [];
  for (const [taskId, list] of byTask) {
    list.sort((a, b) => a.start - b.start);
    for (const run of list) {
      if (run.end === undefined && !deaths.has(run.pid))
        unfinished.push(`${taskId} attempt ${run.attempt} pid ${run.pid} started ${new Date(run.start).toISOString().slice(11, 23)}`);
    }
    for (let i = 1; i < list.length; i++) {
      for (let j = 0; j < i; j++) {
        const before = list[j];
        const end = before.end ?? deaths.get(before.pid) ?? now;
        if (list[i].start < end) {
          const show = (r: (typeof list)[number]) =>
            `attempt ${r.attempt} pid ${r.pid} ${new Date(r.start).toISOString().slice(11, 23)}–` +
            `${r.end ? `${new Date(r.end).toISOString().slice(11, 23)} ${r.outcome}` : deaths.has(r.pid) ? 'killed' : 'never ended'}`;
          const what = `${taskId}: ${show(before)} overlaps ${show(list[i])}`;
          const overlapEnd = Math.min(end, list[i].end ?? deaths.get(list[i].pid) ?? now);
          if (executing(list[i].start, overlapEnd, [before.pid, list[i].pid]) > 0) overlaps.push(what);
          else frozenOverlaps.push(`${what} (pid ${before.pid} frozen meanwhile)`);
        }
      }
    }
  }
  const overlapTasks = new Set(overlaps.map((o) => o.slice(0, 36)));
  checks.push({
    name: 'overlapping runs of one task (both executing)',
    count: overlaps.length,
    ok: overlaps.length === 0,
    examples: await Promise.all(
      [...overlapTasks].slice(0, 5).map(async (id) => `${overlaps.filter((o) => o.startsWith(id)).join(' | ')}; timeline: ${await timeline(id)}`),
    ),
  });
  // A process frozen past its lease cannot be stopped by anyone: another worker may take its
  // task over (the frozen one lost its connection), and its writes are fenced. Counted apart,
  // not a failure, as long as it stops within the grace after it wakes.
  const frozenTasks = new Set(frozenOverlaps.map((o) => o.slice(0, 36)));
  checks.push({
    name: 'overlaps only while one holder was frozen (SIGSTOP)',
    count: frozenOverlaps.length,
    ok: true,
    examples: await Promise.all(
      [...frozenTasks].slice(0, 3).map(async (id) => `${frozenOverlaps.filter((o) => o.startsWith(id)).join(' | ')}; timeline: ${await timeline(id)}`),
    ),
  });
  checks.push({
    name: 'probe runs that never ended (worker alive)',
    count: unfinished.length,
    ok: unfinished.length === 0,
    examples: await Promise.all(unfinished.slice(0, 5).map(async (u) => `${u}; timeline: ${await timeline(u.slice(0, 36))}`)),
  });

  // The ladder: each RETRYING → next IN_PROGRESS of the next attempt waits its step.
  const isRedispatch = (e: EventRow) => e.detail?.startsWith('re-dispatched') ?? false;
  const { rows: events } = await sql.query<EventRow>(
    `SELECT task_id, at, status, attempt, detail, error, worker FROM task_events
      WHERE task_id IN (SELECT task_id FROM task_events WHERE status = 'RETRYING')
      ORDER BY task_id, id`,
  );
  let retries = 0;
  const early: string[] = [];
  const late: string[] = [];
  let lateExcused = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    // The reconciler's timeline entry of a re-dispatch repeats the status (RETRYING): the wait
    // counts from the status change itself.
    if (e.status !== 'RETRYING' || isRedispatch(e)) continue;
    const next = events.slice(i + 1).find((n) => n.task_id === e.task_id && (n.status === 'IN_PROGRESS' || n.status === 'NEW' || n.status === 'CANCELLED'));
    if (!next || next.status !== 'IN_PROGRESS') continue;
    retries++;
    const step = RETRY_DELAYS[Math.min(e.attempt, RETRY_DELAYS.length) - 1];
    const waited = (next.at.getTime() - e.at.getTime()) / 1000;
    const what = `${e.task_id} attempt ${e.attempt}→${next.attempt}: waited ${waited.toFixed(2)} s, step ${step} s`;
    if (waited < step - EARLY_TOLERANCE_S) early.push(what);
    else if (waited > step + LATE_TOLERANCE_S) {
      const from = e.at.getTime();
      const to = next.at.getTime();
      if (input.windows.some((w) => w.from <= to && w.to + FAULT_SHADOW_MS >= from)) lateExcused++;
      else late.push(what);
    }
  }
  checks.push({ name: `retries started before their step (of ${retries})`, count: early.length, ok: early.length === 0, examples: early.slice(0, 5) });
  checks.push({
    name: `retries later than step + ${LATE_TOLERANCE_S} s, no fault near (${lateExcused} late near a fault)`,
    count: late.length,
    ok: late.length === 0,
    examples: late.slice(0, 5),
  });

  const busy = input.queues.filter((q) => q.name !== 'tasks.dlq' && q.ready + q.unacked > 0);
  checks.push({
    name: 'messages left in work and retry queues',
    count: busy.reduce((s, q) => s + q.ready + q.unacked, 0),
    ok: busy.length === 0,
    examples: busy.map((q) => `${q.name}: ${q.ready} ready, ${q.unacked} unacked`),
  });
  const { rows: outbox } = await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL AND failed_at IS NULL');
  checks.push({ name: 'outbox rows not yet published', count: outbox[0].n, ok: outbox[0].n === 0, examples: [] });
  return { total, byStatus, checks };
}

// ---------------------------------------------------------------- the command line

export function formatReport(report: SoakReport): string {
  const rows: [string, string, string][] = report.checks.map((c) => [c.name, String(c.count), c.ok ? 'ok' : 'FAIL']);
  const width = Math.max(...rows.map((r) => r[0].length), 5);
  const out = [
    `seed ${report.seed} · ${report.minutes} min · purge ${report.purge ? 'on' : 'off'} · ` +
      `settled ${report.settledInSeconds === null ? 'no' : `in ${report.settledInSeconds} s`}`,
    `tasks ${report.created}: ${Object.entries(report.byStatus)
      .map(([s, n]) => `${s} ${n}`)
      .join(', ')}`,
    `load: ${Object.entries(report.load)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
    `faults: ${Object.entries(report.faults)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
    '',
    `${'check'.padEnd(width)}  count  result`,
    `${'-'.repeat(width)}  -----  ------`,
    ...rows.map(([name, count, ok]) => `${name.padEnd(width)}  ${count.padStart(5)}  ${ok}`),
  ];
  for (const c of report.checks.filter((c) => c.examples.length > 0)) {
    out.push('', `${c.name}:`, ...c.examples.map((e) => `  ${e}`));
  }
  out.push('', report.ok ? 'soak: every check passed' : 'soak: FAILED');
  return out.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '2' },
      seed: { type: 'string' },
      'no-purge': { type: 'boolean', default: false },
      'settle-seconds': { type: 'string', default: '90' },
      rate: { type: 'string', default: '4' },
      keep: { type: 'boolean', default: false },
      report: { type: 'string' },
    },
  });
  const number = (name: string, value: string | undefined, min: number): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min) {
      console.error(`--${name} must be a number >= ${min}, got '${value}'`);
      process.exit(2);
    }
    return n;
  };
  const options: SoakOptions = {
    minutes: number('minutes', values.minutes, 0.1),
    seed: values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : number('seed', values.seed, 0),
    purge: !(values['no-purge'] ?? false),
    settleSeconds: number('settle-seconds', values['settle-seconds'], 1),
    rate: number('rate', values.rate, 0.1),
    keep: values.keep ?? false,
    log: (line) => console.log(line),
  };
  const report = await runSoak(options);
  console.log(`\n${formatReport(report)}`);
  if (values.report) writeFileSync(values.report, JSON.stringify(report, null, 2));
  process.exit(report.ok ? 0 : 1);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: Error) => {
    console.error(`soak: ${error.stack ?? error.message}`);
    process.exit(1);
  });
}

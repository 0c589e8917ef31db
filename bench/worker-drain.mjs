// `node bench/worker-drain.mjs`: how fast one worker drains a backlog of queued noop tasks,
// against a plain worker that does the least a claim-and-finish worker can do: two single-row
// UPDATEs per task (claim, complete), each its own commit, then the acknowledgement. Both run in
// the same run, on the same database, broker, prefetch and pool size. Not a pass/fail test.
//
// Environment: DRAIN_TASKS (default 20000), DRAIN_PREFETCH (default 50, the worker's
// WORKER_PREFETCH and the plain worker's prefetch), DRAIN_POOL (default 10, the pool of the plain
// worker, as the worker's own pool), DRAIN_PROFILE (a directory: the worker writes a CPU profile
// there), plus the usual POSTGRES_* and RABBITMQ_URL.
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import amqplib from 'amqplib';
import pg from 'pg';
import { ensureBuild } from '../scripts/ensure-build.mjs';

ensureBuild();
const { loadConfig, postgresConnectionOptions } = await import('../dist/libs/config/src/index.js');
const { buildTopology, declareTopology } = await import('../dist/libs/messaging/src/index.js');

const TASKS = Number(process.env.DRAIN_TASKS ?? 20_000);
const PREFETCH = Number(process.env.DRAIN_PREFETCH ?? 50);
const POOL = Number(process.env.DRAIN_POOL ?? 10);
const SKIP_PLAIN = process.env.DRAIN_SKIP_PLAIN === '1';
/** The application_name of this bench's own connections (polling), left out of the CPU figures. */
const BENCH_APP = 'worker-drain-bench';
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
const name = `tasks_drain_${process.pid}`;
const config = loadConfig(process.env);
const amqpBase = new URL(process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
const amqpUrl = `${amqpBase.protocol}//${amqpBase.username}:${amqpBase.password}@${amqpBase.host}/${name}`;
const env = { ...process.env, POSTGRES_DB: name, RABBITMQ_URL: amqpUrl, LOG_LEVEL: 'info', HEALTH_CHECK_PORT: '0', WORKER_PREFETCH: String(PREFETCH) };
const now = () => Number(process.hrtime.bigint()) / 1e9;

async function main() {
  const admin = new pg.Client(postgresConnectionOptions(config.postgres, 'postgres'));
  await admin.connect();
  execFileSync('rabbitmqctl', ['-q', 'add_vhost', name]);
  execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', name, amqpBase.username || 'guest', '.*', '.*', '.*']);
  let child;
  try {
    execFileSync(process.execPath, ['dist/apps/migrate/src/main.js'], { env, stdio: 'ignore' });
    const db = new pg.Pool({ ...postgresConnectionOptions(config.postgres, name), max: 2, application_name: BENCH_APP });
    const broker = await amqplib.connect(amqpUrl);
    await declareTopology(
      () => broker.createChannel(),
      buildTopology({ queueType: config.rabbitmq.queueType, retryDelaysSeconds: config.retry.delaysSeconds }),
    );
    console.log(`worker drain: ${TASKS} queued noop tasks, prefetch ${PREFETCH}, ${process.versions.node} on ${execFileSync('nproc').toString().trim()} cores`);

    // The plain worker first, then the service's worker, each on a backlog of its own.
    let plainRate;
    if (!SKIP_PLAIN) {
      await queueBacklog(db, broker);
      const plainDb = new pg.Pool({ ...postgresConnectionOptions(config.postgres, name), max: POOL, application_name: 'plain-worker' });
      const cpu0 = await backendCpu(db);
      plainRate = await plainWorker(plainDb, broker);
      const plainPostgres = cpuSince(cpu0, await backendCpu(db));
      await plainDb.end();
      console.log(`plain worker (2 single-row UPDATEs per task): ${Math.round(plainRate)} tasks/s`);
      console.log(`  Postgres CPU: ${per10k(plainPostgres.total)} s per 10,000 tasks (autovacuum ${per10k(plainPostgres.autovacuum)})`);
      await db.query('DELETE FROM tasks');
      await db.query('VACUUM ANALYZE tasks, task_events');
    }

    await queueBacklog(db, broker);
    const cpu0 = await backendCpu(db);
    const started = await startWorker();
    child = started.child;
    const worker0 = processCpu(child.pid);
    const t0 = now();
    const before = await completed(db);
    while ((await completed(db)) < TASKS) await sleep(20);
    const workerRate = (TASKS - before) / (now() - t0);
    const postgresSeconds = cpuSince(cpu0, await backendCpu(db));
    const workerSeconds = processCpu(child.pid) - worker0;
    console.log(`service worker:                               ${Math.round(workerRate)} tasks/s`);
    console.log(
      `  Postgres CPU: ${per10k(postgresSeconds.total)} s per 10,000 tasks (autovacuum ${per10k(postgresSeconds.autovacuum)}); ` +
        `worker CPU: ${per10k(workerSeconds)} s per 10,000 tasks`,
    );
    if (plainRate) console.log(`ratio worker / plain:                         ${(workerRate / plainRate).toFixed(2)}`);
    await broker.close();
    await db.end();
    // A clean stop, so the worker prints its last summary (and writes its profile, with DRAIN_PROFILE).
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    child = undefined;
  } finally {
    child?.kill('SIGKILL');
    await sleep(300);
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
    execFileSync('rabbitmqctl', ['-q', 'delete_vhost', name]);
  }
}

/** CPU-seconds by pid of the Postgres processes working for this database, this bench's own connections left out. */
async function backendCpu(db) {
  const { rows } = await db.query(
    `SELECT pid, backend_type FROM pg_stat_activity
     WHERE datname = current_database() AND application_name IS DISTINCT FROM $1
       AND backend_type IN ('client backend', 'autovacuum worker')`,
    [BENCH_APP],
  );
  return new Map(rows.map(({ pid, backend_type }) => [pid, { type: backend_type, seconds: processCpu(pid) }]));
}

/**
 * CPU-seconds spent since `before` by the processes of `after` (a process started since counts
 * from zero), in all and of autovacuum alone (which a drain's dead rows set off).
 */
function cpuSince(before, after) {
  let total = 0;
  let autovacuum = 0;
  for (const [pid, { type, seconds }] of after) {
    const spent = seconds - (before.get(pid)?.seconds ?? 0);
    total += spent;
    if (type === 'autovacuum worker') autovacuum += spent;
  }
  return { total, autovacuum };
}

/** utime + stime of a process in seconds (0 when it has exited). */
function processCpu(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

function per10k(seconds) {
  return ((seconds * 10_000) / TASKS).toFixed(2);
}

async function completed(db) {
  const { rows } = await db.query("SELECT count(*)::int AS n FROM tasks WHERE status = 'COMPLETED'");
  return rows[0].n;
}

/** TASKS PENDING noop tasks and their dispatch messages in tasks.low, as the relay leaves them. */
async function queueBacklog(db, broker) {
  const { rows } = await db.query(
    `INSERT INTO tasks (id, type, title, priority, status, max_attempts, correlation_id)
     SELECT gen_random_uuid(), 'noop', 'drain', 'LOW', 'NEW', 4, 'drain' FROM generate_series(1, $1)
     RETURNING id`,
    [TASKS],
  );
  await db.query("UPDATE tasks SET status = 'PENDING' WHERE status = 'NEW'");
  const channel = await broker.createConfirmChannel();
  for (const { id } of rows) {
    const body = { taskId: id, type: 'noop', priority: 'LOW', attempt: 1, correlationId: 'drain' };
    if (
      !channel.publish('tasks', 'tasks.low', Buffer.from(JSON.stringify(body)), { persistent: true, messageId: randomUUID(), headers: { 'x-task-attempt': 1 } })
    ) {
      await new Promise((resolve) => channel.once('drain', resolve));
    }
  }
  await channel.waitForConfirms();
  await channel.close();
}

/** Claims with one UPDATE, completes with another, acknowledges: PREFETCH in flight. */
async function plainWorker(db, broker) {
  const channel = await broker.createChannel();
  await channel.prefetch(PREFETCH);
  const t0 = now();
  let done = 0;
  await new Promise((resolve, reject) => {
    channel.consume('tasks.low', (message) => {
      const { taskId } = JSON.parse(message.content.toString());
      const token = randomUUID();
      (async () => {
        const claimed = await db.query(
          `UPDATE tasks SET status = 'IN_PROGRESS', attempts = 1, locked_by = $2, locked_until = now() + interval '30 seconds',
             started_at = now(), updated_at = now()
           WHERE id = $1 AND status = 'PENDING' RETURNING *`,
          [taskId, token],
        );
        if (claimed.rowCount === 1) {
          await db.query(
            `UPDATE tasks SET status = 'COMPLETED', result = '{}'::jsonb, progress = 100, completed_at = now(), updated_at = now(),
               locked_by = NULL, locked_until = NULL
             WHERE id = $1 AND status = 'IN_PROGRESS' AND locked_by = $2`,
            [taskId, token],
          );
        }
        channel.ack(message);
        if (++done === TASKS) resolve();
      })().catch(reject);
    });
  });
  const rate = TASKS / (now() - t0);
  await channel.close();
  return rate;
}

function startWorker() {
  return new Promise((resolve, reject) => {
    const profile = process.env.DRAIN_PROFILE ? [`--cpu-prof`, `--cpu-prof-dir=${process.env.DRAIN_PROFILE}`] : [];
    const child = spawn(process.execPath, [...profile, 'dist/apps/worker/src/main.js'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const msg = messageOf(line);
      if (/consuming /.test(msg)) resolve({ child });
      // The worker's summary lines: how many claims and outcomes each statement covered.
      if (/ deliveries \(/.test(msg)) console.log(`  worker: ${msg}`);
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
}

/** The message of one of the worker's JSON log lines (or the line itself when it is not JSON). */
function messageOf(line) {
  try {
    return String(JSON.parse(line).msg ?? '');
  } catch {
    return line;
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main().catch((error) => {
  console.error(`worker drain failed: ${error.stack}`);
  process.exit(1);
});

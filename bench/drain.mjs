// `npm run bench:drain`: how fast one worker drains a backlog. Queues BENCH_TASKS noop tasks of
// one priority with no worker running, waits until the relay has published them all, then starts
// one worker and measures from the first claim to the last completion (started_at and
// completed_at in Postgres, so process start-up is left out). Not a test: read the numbers.
//
// Environment: BENCH_TASKS (default 3000), BENCH_PRIORITY (HIGH, MEDIUM or LOW; default LOW,
// the last queue a worker with all three asks), BENCH_RUNS (default 3), and for the worker
// WORKER_QUEUES, WORKER_PREFETCH (default 10), WORKER_PRIORITY_MODE as usual.
import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { ensureBuild } from '../scripts/ensure-build.mjs';

ensureBuild();
const TASKS = Number(process.env.BENCH_TASKS ?? 3000);
const PRIORITY = process.env.BENCH_PRIORITY ?? 'LOW';
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const name = `tasks_drain_${process.pid}`;
const { loadConfig, postgresConnectionOptions } = await import('../dist/libs/config/src/index.js');
const { postgres } = loadConfig(process.env);
const amqpBase = new URL(process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
const amqpUrl = `${amqpBase.protocol}//${amqpBase.username}:${amqpBase.password}@${amqpBase.host}/${name}`;
const env = {
  ...process.env,
  POSTGRES_DB: name,
  RABBITMQ_URL: amqpUrl,
  LOG_LEVEL: 'warn',
  API_PORT: '0',
  HEALTH_CHECK_PORT: '0',
  OUTBOX_BATCH_SIZE: '200',
  WORKER_PREFETCH: process.env.WORKER_PREFETCH ?? '10',
};
const children = [];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const admin = new pg.Client(postgresConnectionOptions(postgres, 'postgres'));
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
  execFileSync('rabbitmqctl', ['-q', 'add_vhost', name]);
  execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', name, amqpBase.username || 'guest', '.*', '.*', '.*']);
  try {
    execFileSync(process.execPath, ['dist/apps/migrate/src/main.js'], { env, stdio: 'ignore' });
    const db = new pg.Pool({ ...postgresConnectionOptions(postgres, name), max: 2 });
    const api = await start('api');
    await start('relay');
    const agent = new http.Agent({ keepAlive: true });
    console.log(
      `drain: ${TASKS} noop ${PRIORITY} tasks, WORKER_QUEUES=${env.WORKER_QUEUES ?? '(default)'}, WORKER_PREFETCH=${env.WORKER_PREFETCH}, ` +
        `mode ${env.WORKER_PRIORITY_MODE ?? 'strict'}`,
    );
    for (let run = 1; run <= RUNS; run++) {
      await db.query('DELETE FROM tasks');
      for (let i = 0; i < TASKS; i += 1000) {
        const n = Math.min(1000, TASKS - i);
        await post(api.port, '/api/v1/tasks/batch', { tasks: Array.from({ length: n }, () => ({ title: 'drain', type: 'noop', priority: PRIORITY })) }, agent);
      }
      for (;;) {
        const { rows } = await db.query("SELECT count(*)::int AS n FROM tasks WHERE status = 'PENDING'");
        if (rows[0].n >= TASKS) break;
        await sleep(50);
      }
      const worker = await start('worker');
      for (;;) {
        const { rows } = await db.query("SELECT count(*)::int AS n FROM tasks WHERE status = 'COMPLETED'");
        if (rows[0].n >= TASKS) break;
        await sleep(50);
      }
      const { rows } = await db.query('SELECT extract(epoch FROM max(completed_at) - min(started_at))::float8 AS seconds FROM tasks');
      console.log(`run ${run}: ${Math.round(TASKS / rows[0].seconds).toLocaleString('en')} tasks/s (${rows[0].seconds.toFixed(2)} s)`);
      worker.child.kill('SIGTERM');
      await new Promise((resolve) => worker.child.once('exit', resolve));
    }
    await db.end();
  } finally {
    for (const { child } of children) child.kill('SIGKILL');
    await sleep(300);
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
    execFileSync('rabbitmqctl', ['-q', 'delete_vhost', name]);
  }
}

function post(port, path, body, agent) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(
      { host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`POST ${path} answered ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

function start(app) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`dist/apps/${app}/src/main.js`], { env: { ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] });
    const entry = { child, port: 0 };
    children.push(entry);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /listening on port (\d+)/.exec(line);
      if (m) {
        entry.port = Number(m[1]);
        resolve(entry);
      }
    });
    child.once('exit', (code, signal) => {
      if (entry.port === 0) reject(new Error(`${app} exited with ${code ?? signal}`));
    });
  });
}

main().catch((error) => {
  console.error(`drain bench failed: ${error.message}`);
  process.exit(1);
});

// `npm run bench`: measures the service against this machine's own limits, in one run, and
// prints ratios. Nothing here is a pass/fail test: machines are noisy; read the ratios.
//
//   create:     POST /api/v1/tasks per second  ÷  one-row INSERTs per second straight into Postgres,
//               and ÷ the create statement itself (task + outbox + triggers) straight into Postgres
//   end to end: noop tasks from batch insert to COMPLETED per second  ÷  persistent messages
//               published with confirms and consumed with acks per second straight through RabbitMQ
//   memory:     resident set size of each app after the run
//
// Each baseline runs with the same concurrency as what it is compared with. Environment:
// BENCH_TASKS (default 4000), BENCH_CONCURRENCY (default 32), plus the usual POSTGRES_* and
// RABBITMQ_URL for where the services are.
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createInterface } from 'node:readline';
import amqplib from 'amqplib';
import pg from 'pg';
import { ensureBuild } from '../scripts/ensure-build.mjs';
import { benchTaskRow } from './create-row.mjs';

ensureBuild();
const { INSERT_TASKS_WITH_OUTBOX } = await import('../dist/libs/database/src/sql/insert-tasks-with-outbox.sql.js');

const TASKS = Number(process.env.BENCH_TASKS ?? 4000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const name = `tasks_bench_${process.pid}`;
const { loadConfig, postgresConnectionOptions } = await import('../dist/libs/config/src/index.js');
const { postgres } = loadConfig(process.env);
const brokerUrl = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
// It makes its vhost with the local rabbitmqctl, so it measures one broker, not a cluster.
if (brokerUrl.includes(',')) {
  console.error('npm run bench measures one broker: set RABBITMQ_URL to a single URL (the broker the local rabbitmqctl reaches)');
  process.exit(1);
}
const amqpBase = new URL(brokerUrl);
const amqpUrl = `${amqpBase.protocol}//${amqpBase.username}:${amqpBase.password}@${amqpBase.host}/${name}`;
const env = {
  ...process.env,
  POSTGRES_DB: name,
  RABBITMQ_URL: amqpUrl,
  LOG_LEVEL: 'warn',
  API_PORT: '0',
  HEALTH_CHECK_PORT: '0',
  OUTBOX_BATCH_SIZE: '200',
  WORKER_PREFETCH: '50',
};
const children = [];

const now = () => Number(process.hrtime.bigint()) / 1e9;
const fmt = (n) => (n >= 100 ? Math.round(n).toLocaleString('en') : n.toFixed(1));

async function main() {
  const admin = new pg.Client(postgresConnectionOptions(postgres, 'postgres'));
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
  execFileSync('rabbitmqctl', ['-q', 'add_vhost', name]);
  execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', name, amqpBase.username || 'guest', '.*', '.*', '.*']);
  try {
    execFileSync(process.execPath, ['dist/apps/migrate/src/main.js'], { env, stdio: 'ignore' });
    const db = new pg.Pool({ ...postgresConnectionOptions(postgres, name), max: CONCURRENCY });
    console.log(
      `task service benchmark: ${TASKS} tasks, concurrency ${CONCURRENCY}, ${process.versions.node} on ${execFileSync('nproc').toString().trim()} cores\n`,
    );

    // 1. The database's limit for one-row writes, then the API's create.
    await db.query('CREATE TABLE bench_rows (id uuid PRIMARY KEY, payload jsonb NOT NULL)');
    const insertRate = await perSecond(TASKS, CONCURRENCY, () => db.query('INSERT INTO bench_rows VALUES ($1, $2)', [randomUUID(), '{"title":"bench"}']));
    const statementRate = await perSecond(TASKS, CONCURRENCY, () => {
      return db.query(INSERT_TASKS_WITH_OUTBOX, [JSON.stringify([benchTaskRow()])]);
    });
    await db.query('DELETE FROM tasks');
    const api = await start('api');
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const latencies = [];
    const createRate = await perSecond(TASKS, CONCURRENCY, async () => {
      const t0 = now();
      await post(api.port, '/api/v1/tasks', { title: 'bench', priority: 'LOW' }, agent);
      latencies.push(now() - t0);
    });
    latencies.sort((a, b) => a - b);

    // 2. The broker's limit for a confirmed publish and an acknowledged delivery, then end to end.
    const brokerRate = await brokerRoundTrips(TASKS, CONCURRENCY);
    await db.query('DELETE FROM outbox');
    const relay = await start('relay');
    const worker = await start('worker');
    const t0 = now();
    for (let i = 0; i < TASKS; i += 1000) {
      const n = Math.min(1000, TASKS - i);
      await post(api.port, '/api/v1/tasks/batch', { tasks: Array.from({ length: n }, () => ({ title: 'e2e', type: 'noop', priority: 'HIGH' })) }, agent);
    }
    for (;;) {
      const { rows } = await db.query("SELECT count(*)::int AS n FROM tasks WHERE status = 'COMPLETED'");
      if (rows[0].n >= TASKS) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const e2eRate = TASKS / (now() - t0);

    const rss = (p) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p.child.pid}/status`, 'utf8'))[1]) / 1024;
    console.log('what                           measured          machine limit       ratio');
    console.log(
      `create (POST /tasks)           ${fmt(createRate).padStart(8)} /s   ${fmt(insertRate).padStart(9)} INSERT/s    ${(createRate / insertRate).toFixed(2)}`,
    );
    console.log(
      `create statement, no HTTP      ${fmt(statementRate).padStart(8)} /s   ` +
        `${fmt(insertRate).padStart(9)} INSERT/s    ${(statementRate / insertRate).toFixed(2)}`,
    );
    console.log(
      `create (POST /tasks)           ${fmt(createRate).padStart(8)} /s   ` +
        `${fmt(statementRate).padStart(9)} statement/s ${(createRate / statementRate).toFixed(2)}`,
    );
    console.log(
      `end to end (noop, COMPLETED)   ${fmt(e2eRate).padStart(8)} /s   ${fmt(brokerRate).padStart(9)} msg/s       ${(e2eRate / brokerRate).toFixed(2)}`,
    );
    console.log(
      `create latency                 p50 ${(latencies[Math.floor(latencies.length * 0.5)] * 1000).toFixed(1)} ms, ` +
        `p99 ${(latencies[Math.floor(latencies.length * 0.99)] * 1000).toFixed(1)} ms`,
    );
    console.log(`memory (RSS)                   api ${rss(api).toFixed(0)} MiB, relay ${rss(relay).toFixed(0)} MiB, worker ${rss(worker).toFixed(0)} MiB`);
    await db.end();
  } finally {
    for (const c of children) c.child.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
    execFileSync('rabbitmqctl', ['-q', 'delete_vhost', name]);
  }
}

/** Runs `op` `total` times with `concurrency` in flight; returns operations per second. */
async function perSecond(total, concurrency, op) {
  let next = 0;
  const t0 = now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        await op();
      }
    }),
  );
  return total / (now() - t0);
}

async function brokerRoundTrips(total, concurrency) {
  const connection = await amqplib.connect(amqpUrl);
  const publisher = await connection.createConfirmChannel();
  const consumer = await connection.createChannel();
  const queue = (await consumer.assertQueue('bench.baseline', { durable: true })).queue;
  await consumer.prefetch(50);
  let received = 0;
  const done = new Promise((resolve, reject) => {
    consumer
      .consume(queue, (m) => {
        consumer.ack(m);
        if (++received === total) resolve();
      })
      .catch(reject);
  });
  const t0 = now();
  await perSecond(
    total,
    concurrency,
    () =>
      new Promise((resolve, reject) =>
        publisher.publish('', queue, Buffer.from('{"taskId":"x"}'), { persistent: true, mandatory: true }, (err) => (err ? reject(err) : resolve())),
      ),
  );
  await done;
  const rate = total / (now() - t0);
  await connection.close();
  return rate;
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
        // Let it connect to RabbitMQ before it is measured.
        setTimeout(() => resolve(entry), 500);
      }
    });
    child.once('exit', (code) => reject(new Error(`${app} exited with ${code}`)));
  });
}

main().catch((error) => {
  console.error(`bench failed: ${error.message}`);
  process.exit(1);
});

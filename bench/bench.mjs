// `npm run bench [-- --quick] [-- --peers]`: the service against this machine's own ceilings,
// measured in the same run, as one table (figure, reference, ratio, target, met or not), plus
// the raw figures as JSON in bench/results/latest.json. Nothing here is a pass/fail test.
//
// It starts the built apps (dist/apps/*/src/main.js) with their ordinary environment and talks
// to them through HTTP only; it reads task timestamps (created, started, completed, published)
// from the database to time what happened inside. Everything runs in a database and a vhost of
// its own (tasks_bench_<pid>), BullMQ under a Redis key prefix of its own, pg-boss in a database
// of its own; all of it is removed at the end. See documents/benchmarks.md.
//
// Environment: the usual POSTGRES_*, RABBITMQ_URL, plus REDIS_URL (default redis://127.0.0.1:6379)
// for the BullMQ peer. Any other variable (WORKER_PREFETCH, OUTBOX_BATCH_SIZE, ...) is passed to
// the apps as it is; WORKER_PREFETCH is 50 unless set, the concurrency every worker here gets.
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { createInterface } from 'node:readline';
import amqplib from 'amqplib';
import pg from 'pg';
import { ensureBuild } from '../scripts/ensure-build.mjs';
import { benchTaskRow } from './create-row.mjs';
import { closedLoop, countedLoop, now, request, sleep } from './lib/load.mjs';
import { cpuDelta, cpuSnapshot } from './lib/cpu.mjs';
import { explainReads, readCases, seedTasks, timeInterleaved } from './lib/reads.mjs';
import { formatTable, percentile, tableRows } from './lib/report.mjs';

const QUICK = process.argv.includes('--quick');
const PEERS = process.argv.includes('--peers');
const SIZE = QUICK
  ? {
      seconds: 5,
      drain: 3_000,
      relay: 10_000,
      idle: 30,
      highLow: 3_000,
      reads: [10_000, 100_000],
      readRequests: 30,
      messages: 10_000,
      sustained: 8,
      batchConcurrency: [1, 4],
    }
  : {
      seconds: 15,
      drain: 20_000,
      relay: 100_000,
      idle: 100,
      highLow: 20_000,
      reads: [10_000, 1_000_000],
      readRequests: 100,
      messages: 40_000,
      sustained: 30,
      batchConcurrency: [1, 2, 4],
    };
const CONNECTIONS = 50;

ensureBuild();
const { INSERT_TASKS_WITH_OUTBOX } = await import('../dist/libs/database/src/sql/insert-tasks-with-outbox.sql.js');
const { LIST_TASKS } = await import('../dist/libs/database/src/sql/list-tasks.sql.js');
const { FIND_TASK_BY_ID } = await import('../dist/libs/database/src/sql/find-task.sql.js');
const { loadConfig, postgresConnectionOptions } = await import('../dist/libs/config/src/index.js');

const name = `tasks_bench_${process.pid}`;
const { postgres } = loadConfig(process.env);
const pgOptions = postgresConnectionOptions(postgres, name);
const brokerUrl = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
// It makes its vhost with the local rabbitmqctl, so it measures one broker, not a cluster.
if (brokerUrl.includes(',')) {
  console.error('npm run bench measures one broker: set RABBITMQ_URL to a single URL (the broker the local rabbitmqctl reaches)');
  process.exit(1);
}
const amqpBase = new URL(brokerUrl);
const amqpUrl = `${amqpBase.protocol}//${amqpBase.username}:${amqpBase.password}@${amqpBase.host}/${name}`;
const appEnv = {
  ...process.env,
  POSTGRES_DB: name,
  RABBITMQ_URL: amqpUrl,
  LOG_LEVEL: 'info',
  API_PORT: '0',
  HEALTH_CHECK_PORT: '0',
  WORKER_PREFETCH: process.env.WORKER_PREFETCH ?? '50',
  RATE_LIMIT_MAX: '0',
};
const children = new Set();
const rssMax = {};
const cpu = {};
const figures = { quick: QUICK, peers: PEERS, connections: CONNECTIONS, sizes: SIZE };
const log = (line) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

async function main() {
  const admin = new pg.Client(postgresConnectionOptions(postgres, 'postgres'));
  await admin.connect();
  execFileSync('rabbitmqctl', ['-q', 'add_vhost', name]);
  execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', name, amqpBase.username || 'guest', '.*', '.*', '.*']);
  const sampler = setInterval(sampleRss, 250);
  let db;
  try {
    execFileSync(process.execPath, ['dist/apps/migrate/src/main.js'], { env: { ...appEnv, LOG_LEVEL: 'warn' }, stdio: 'ignore' });
    db = new pg.Pool({ ...pgOptions, max: CONNECTIONS });
    db.on('error', () => undefined);
    figures.machine = await machine(db);
    log(`task service benchmark (${QUICK ? 'quick' : 'full'}${PEERS ? ', with peers' : ''}): ${figures.machine.summary}`);

    await postgresCeilings(db);
    await rabbitCeilings();
    await bareFastify(db);
    await ourCreate(db);
    await relayDrain(db);
    await plainWorker(db);
    await ourWorker(db);
    await reads(db, admin);
    if (PEERS) await peers(admin);
  } finally {
    clearInterval(sampler);
    await stopAll();
    await db?.end();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
    execFileSync('rabbitmqctl', ['-q', 'delete_vhost', name]);
  }
  figures.rssMaxMB = rssMax;
  figures.cpu = cpu;
  report();
}

// ---------------------------------------------------------------- references

/** (a) The create statement, one task per statement at 50 connections; and 500 rows per statement. */
async function postgresCeilings(db) {
  const single = await closedLoop({
    concurrency: CONNECTIONS,
    ms: SIZE.seconds * 1000,
    warmupMs: 1000,
    op: () => db.query(INSERT_TASKS_WITH_OUTBOX, [JSON.stringify([benchTaskRow()])]),
  });
  figures.pgSingle = { rate: single.rate, p50: percentile(single.latencies, 0.5), p99: percentile(single.latencies, 0.99), concurrency: CONNECTIONS };
  log(`postgres: create statement, 1 task, ${CONNECTIONS} connections: ${single.rate.toFixed(0)}/s`);
  await truncate(db);
  figures.pgMulti = await best(SIZE.batchConcurrency, async (concurrency) => {
    const r = await closedLoop({
      concurrency,
      ms: (SIZE.seconds * 1000) / 2,
      warmupMs: 500,
      op: async () => {
        await db.query(INSERT_TASKS_WITH_OUTBOX, [JSON.stringify(Array.from({ length: 500 }, benchTaskRow))]);
        return 500;
      },
    });
    await truncate(db);
    log(`postgres: create statement, 500 tasks, ${concurrency} connection(s): ${r.rate.toFixed(0)} rows/s`);
    return { rate: r.rate, concurrency };
  });
}

/** (c) Persistent publishes with confirms at the best window; consumes with acks at the best prefetch. */
async function rabbitCeilings() {
  const connection = await amqplib.connect(amqpUrl);
  try {
    const channel = await connection.createConfirmChannel();
    const queue = 'bench.reference';
    await channel.assertQueue(queue, { durable: true });
    const publish = () =>
      new Promise((resolve, reject) =>
        channel.publish('', queue, Buffer.from('{"taskId":"00000000-0000-4000-8000-000000000000"}'), { persistent: true }, (err) =>
          err ? reject(err) : resolve(),
        ),
      );
    figures.rabbitPublish = await best(QUICK ? [32, 256, 2048] : [32, 128, 512, 2048], async (window) => {
      const rate = await countedLoop({ total: SIZE.messages, concurrency: window, op: publish });
      log(`rabbitmq: publish with confirms, ${window} in flight: ${rate.toFixed(0)}/s`);
      return { rate, window };
    });
    await channel.purgeQueue(queue);
    figures.rabbitConsume = await best(QUICK ? [50, 500] : [10, 50, 200, 1000], async (prefetch) => {
      for (let i = 0; i < SIZE.messages; i += 2048) await countedLoop({ total: Math.min(2048, SIZE.messages - i), concurrency: 2048, op: publish });
      const consumer = await connection.createChannel();
      await consumer.prefetch(prefetch);
      let received = 0;
      let t0 = 0;
      const rate = await new Promise((resolve, reject) => {
        consumer
          .consume(queue, (m) => {
            if (received === 0) t0 = now();
            consumer.ack(m);
            if (++received === SIZE.messages) resolve(SIZE.messages / ((now() - t0) / 1000));
          })
          .catch(reject);
      });
      await consumer.close();
      log(`rabbitmq: consume with acks, prefetch ${prefetch}: ${rate.toFixed(0)}/s`);
      return { rate, prefetch };
    });
    await channel.deleteQueue(queue);
  } finally {
    await connection.close();
  }
}

/** (b) A bare Fastify server, BEGIN; insert task; insert outbox; COMMIT per request, at 50 connections. */
async function bareFastify(db) {
  const server = await start('bare-fastify', 'bench/lib/bare-fastify.mjs', {
    BENCH_PG: JSON.stringify(pgOptions),
    BENCH_POOL_SIZE: '10',
  });
  figures.bareFastify = await httpLoad(server.port, '/tasks', () => ({ title: 'bench', priority: 'LOW' }));
  log(`bare fastify: ${figures.bareFastify.rate.toFixed(0)} req/s, p50 ${figures.bareFastify.p50.toFixed(1)} ms, p99 ${figures.bareFastify.p99.toFixed(1)} ms`);
  await stop(server);
  await truncate(db);
}

/** (d) The plain worker: two one-row UPDATEs per task off a RabbitMQ queue, prefetch 50. */
async function plainWorker(db) {
  const n = SIZE.drain;
  const { rows } = await db.query(
    `INSERT INTO tasks (id, type, title, priority, max_attempts, correlation_id, status, dispatched_at)
     SELECT gen_random_uuid(), 'noop', 'bench', 'LOW', 4, 'bench', 'PENDING', now() FROM generate_series(1, $1) RETURNING id`,
    [n],
  );
  const connection = await amqplib.connect(amqpUrl);
  const channel = await connection.createConfirmChannel();
  await channel.assertQueue('bench.plain', { durable: true });
  let i = 0;
  await countedLoop({
    total: n,
    concurrency: 512,
    op: () =>
      new Promise((resolve, reject) =>
        channel.publish('', 'bench.plain', Buffer.from(JSON.stringify({ taskId: rows[i++].id })), { persistent: true }, (e) => (e ? reject(e) : resolve())),
      ),
  });
  const worker = await start('plain-worker', 'bench/lib/plain-worker.mjs', {
    BENCH_PG: JSON.stringify(pgOptions),
    BENCH_AMQP_URL: amqpUrl,
    BENCH_QUEUE: 'bench.plain',
    BENCH_PREFETCH: appEnv.WORKER_PREFETCH,
  });
  figures.plainWorker = { rate: await drainRate(db, n), prefetch: Number(appEnv.WORKER_PREFETCH) };
  log(`plain worker: ${figures.plainWorker.rate.toFixed(0)} tasks/s`);
  await stop(worker);
  await channel.deleteQueue('bench.plain');
  await connection.close();
  await truncate(db);
}

// ---------------------------------------------------------------- ours

async function ourCreate(db) {
  const api = await start('api');
  const before = cpuSnapshot(appPids());
  figures.create = await httpLoad(api.port, '/api/v1/tasks', () => ({ title: 'bench', type: 'noop', priority: 'LOW' }));
  cpu.create = cpuPerTask(before, await countTasks(db));
  log(`POST /api/v1/tasks: ${figures.create.rate.toFixed(0)} req/s, p50 ${figures.create.p50.toFixed(1)} ms, p99 ${figures.create.p99.toFixed(1)} ms`);
  await truncate(db);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const batch = { tasks: Array.from({ length: 500 }, () => ({ title: 'bench', type: 'noop', priority: 'LOW' })) };
  figures.batch = await best(SIZE.batchConcurrency, async (concurrency) => {
    const r = await closedLoop({
      concurrency,
      ms: (SIZE.seconds * 1000) / 2,
      warmupMs: 500,
      op: async () => {
        await request(agent, api.port, 'POST', '/api/v1/tasks/batch', batch, 201);
        return 500;
      },
    });
    await truncate(db);
    log(`POST /api/v1/tasks/batch (500 tasks), ${concurrency} connection(s): ${r.rate.toFixed(0)} tasks/s`);
    return { rate: r.rate, concurrency };
  });
  agent.destroy();
  await stop(api);
}

/** The relay over a pre-filled outbox (the create statement's rows, no app running), one relay then two. */
async function relayDrain(db) {
  for (const relays of [1, 2]) {
    const n = SIZE.relay;
    for (let i = 0; i < n; i += 1000) {
      await db.query(INSERT_TASKS_WITH_OUTBOX, [JSON.stringify(Array.from({ length: Math.min(1000, n - i) }, benchTaskRow))]);
    }
    const started = [];
    for (let r = 0; r < relays; r++) started.push(await start('relay'));
    const before = cpuSnapshot(appPids());
    const publishedBefore = (await db.query('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NOT NULL')).rows[0].n;
    for (;;) {
      const { rows } = await db.query('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL');
      if (rows[0].n === 0) break;
      await sleep(100);
    }
    const { rows } = await db.query(
      'SELECT count(*)::int AS n, extract(epoch FROM max(published_at) - min(published_at))::float8 AS span FROM outbox WHERE published_at IS NOT NULL',
    );
    figures[`relay${relays}`] = { rate: rows[0].n / rows[0].span, rows: rows[0].n, relays };
    if (relays === 1) cpu.relayDrain = cpuPerTask(before, rows[0].n - publishedBefore);
    log(`relay drain, ${relays} relay(s): ${figures[`relay${relays}`].rate.toFixed(0)} rows/s`);
    for (const relay of started) await stop(relay);
    await truncate(db);
  }
}

/** Worker drain, idle latency, HIGH behind LOW, sustained create-to-complete. */
async function ourWorker(db) {
  const api = await start('api');
  let relay = await start('relay');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const createBatch = async (n, priority) => {
    for (let i = 0; i < n; i += 1000) {
      const tasks = Array.from({ length: Math.min(1000, n - i) }, () => ({ title: 'bench', type: 'noop', priority }));
      await request(agent, api.port, 'POST', '/api/v1/tasks/batch', { tasks }, 201);
    }
  };
  const dispatched = async () => {
    for (;;) {
      const { rows } = await db.query('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL AND failed_at IS NULL');
      if (rows[0].n === 0) return;
      await sleep(100);
    }
  };

  // Worker drain: N queued noop tasks, the worker started after they are all in RabbitMQ.
  await createBatch(SIZE.drain, 'LOW');
  await dispatched();
  let worker = await start('worker');
  let before = cpuSnapshot(appPids());
  const completedBefore = (await db.query("SELECT count(*)::int AS n FROM tasks WHERE status = 'COMPLETED'")).rows[0].n;
  figures.workerDrain = { rate: await drainRate(db, SIZE.drain), prefetch: Number(appEnv.WORKER_PREFETCH) };
  cpu.workerDrain = cpuPerTask(before, SIZE.drain - completedBefore);
  log(`worker drain: ${figures.workerDrain.rate.toFixed(0)} tasks/s`);
  await truncate(db);

  // Idle create-to-start: one task at a time, startedAt - createdAt as the API reports them.
  figures.idle = await createToStart(api.port, agent, SIZE.idle, 'LOW');
  log(`idle create-to-start: p50 ${figures.idle.p50.toFixed(1)} ms, p99 ${figures.idle.p99.toFixed(1)} ms`);

  // HIGH created while LOW tasks are queued.
  await stop(worker);
  await createBatch(SIZE.highLow, 'LOW');
  await dispatched();
  worker = await start('worker');
  const highs = [];
  for (;;) {
    const sample = await createToStart(api.port, agent, 1, 'HIGH');
    const { rows } = await db.query("SELECT count(*)::int AS n FROM tasks WHERE priority = 'LOW' AND status <> 'COMPLETED'");
    if (rows[0].n === 0) break; // the LOW backlog was gone before this HIGH started: not counted
    highs.push(sample.p50);
    await sleep(50);
  }
  figures.highUnderLow = { p50: percentile(highs, 0.5), p99: percentile(highs, 0.99), samples: highs.length, lowQueued: SIZE.highLow };
  log(`HIGH under ${SIZE.highLow} LOW: p50 ${figures.highUnderLow.p50.toFixed(1)} ms, p99 ${figures.highUnderLow.p99.toFixed(1)} ms (${highs.length} samples)`);
  await truncate(db);

  // Sustained: POST /tasks at 50 connections with relay and worker running; completions per
  // second. Its reference, the API's intake alone, is measured right before for as long.
  await stop(relay);
  await stop(worker);
  before = cpuSnapshot(appPids());
  const intake = await httpLoad(api.port, '/api/v1/tasks', () => ({ title: 'bench', type: 'noop', priority: 'LOW' }), SIZE.sustained);
  cpu.intakeAlone = cpuPerTask(before, await countTasks(db));
  log(`intake alone: ${intake.rate.toFixed(0)} req/s`);
  await truncate(db);
  relay = await start('relay');
  worker = await start('worker');
  const t0 = (await db.query('SELECT now() AS t')).rows[0].t;
  before = cpuSnapshot(appPids());
  const load = await httpLoad(api.port, '/api/v1/tasks', () => ({ title: 'bench', type: 'noop', priority: 'LOW' }), SIZE.sustained);
  const during = cpuSnapshot(appPids());
  const { rows } = await db.query(
    `SELECT count(*) FILTER (WHERE completed_at >= $1::timestamptz + interval '2 seconds')::int AS done,
            extract(epoch FROM now() - ($1::timestamptz + interval '2 seconds'))::float8 AS span,
            count(*) FILTER (WHERE status <> 'COMPLETED')::int AS behind
     FROM tasks`,
    [t0],
  );
  figures.sustained = {
    completedRate: rows[0].done / rows[0].span,
    createdRate: load.rate,
    p99: load.p99,
    backlogAtEnd: rows[0].behind,
    intakeAlone: intake.rate,
  };
  // Then until every task created under load is complete: the whole pipeline's CPU per task.
  const { rows: made } = await db.query("SELECT count(*)::int AS n, count(*) FILTER (WHERE status = 'COMPLETED')::int AS done FROM tasks");
  cpu.sustainedLoad = cpuPerTask(before, made[0].done, during);
  await drainRate(db, made[0].n);
  cpu.pipeline = cpuPerTask(before, made[0].n);
  log(`sustained: ${figures.sustained.completedRate.toFixed(0)} completed/s while ${load.rate.toFixed(0)} created/s, ${rows[0].behind} behind at the end`);
  agent.destroy();
  await stopAll();
  await truncate(db);
}

/**
 * List and get at two table sizes: a second database holds the small table, each size has its
 * own API process, and the requests alternate between the two (see timeInterleaved).
 */
async function reads(db, admin) {
  const [small, large] = SIZE.reads;
  const smallName = `${name}_small`;
  const smallEnv = { POSTGRES_DB: smallName };
  execFileSync(process.execPath, ['dist/apps/migrate/src/main.js'], { env: { ...appEnv, ...smallEnv, LOG_LEVEL: 'warn' }, stdio: 'ignore' });
  // Two connections per size: a pool of 50 would hand each query to a backend whose caches
  // have not seen the table yet, and time that instead of the query.
  const smallDb = new pg.Pool({ ...postgresConnectionOptions(postgres, smallName), max: 2 });
  const largeDb = new pg.Pool({ ...pgOptions, max: 2 });
  smallDb.on('error', () => undefined);
  largeDb.on('error', () => undefined);
  try {
    const pools = { [small]: smallDb, [large]: largeDb };
    for (const size of SIZE.reads) {
      const t0 = now();
      await seedTasks(pools[size], size);
      log(`seeded ${size.toLocaleString('en')} tasks in ${((now() - t0) / 1000).toFixed(0)} s`);
    }
    const apis = { [small]: await start('api', undefined, smallEnv), [large]: await start('api') };
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    const sql = { list: LIST_TASKS, get: FIND_TASK_BY_ID };
    const cases = { [small]: await readCases(smallDb), [large]: await readCases(largeDb) };
    figures.readLabels = Object.fromEntries(cases[large].map((c) => [c.key, c.label]));
    figures.reads = await timeInterleaved(cases, (size, c) => request(agent, apis[size].port, 'GET', c.path, undefined, 200), SIZE.readRequests);
    figures.readsSql = await timeInterleaved(cases, (size, c) => pools[size].query(c.get ? sql.get : sql.list, c.params), SIZE.readRequests);
    figures.plans = {};
    figures.readBuffers = {};
    for (const size of SIZE.reads) {
      const explained = await explainReads(pools[size], cases[size], sql);
      figures.plans[size] = explained.plans;
      figures.readBuffers[size] = explained.buffers;
    }
    for (const size of SIZE.reads) {
      const line = (by) =>
        Object.entries(by[size])
          .map(([k, v]) => `${k} ${v.p50.toFixed(2)} ms`)
          .join(', ');
      log(`reads at ${size.toLocaleString('en')}: HTTP p50 ${line(figures.reads)}; SQL p50 ${line(figures.readsSql)}`);
    }
    agent.destroy();
    await stop(apis[small]);
    await stop(apis[large]);
  } finally {
    await smallDb.end();
    await largeDb.end();
    await admin.query(`DROP DATABASE IF EXISTS "${smallName}" WITH (FORCE)`);
  }
  await truncate(db);
}

async function peers(admin) {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `bench-${process.pid}-${randomUUID().slice(0, 8)}`;
  try {
    figures.bullmq = await (await import('./lib/peers.mjs')).bullmq({ redisUrl, prefix, seconds: SIZE.seconds, drainJobs: SIZE.drain, idleSamples: SIZE.idle });
    log(`bullmq: ${JSON.stringify(round(figures.bullmq))}`);
  } finally {
    await deleteRedisPrefix(redisUrl, prefix);
  }
  const bossDb = `${name}_pgboss`;
  await admin.query(`CREATE DATABASE "${bossDb}"`);
  try {
    const o = postgresConnectionOptions(postgres, bossDb);
    const connectionString = `postgres://${encodeURIComponent(o.user)}:${encodeURIComponent(o.password ?? '')}@${o.host}:${o.port}/${bossDb}`;
    figures.pgBoss = await (await import('./lib/peers.mjs')).pgBoss({ connectionString, seconds: SIZE.seconds, drainJobs: SIZE.drain, idleSamples: SIZE.idle });
    log(`pg-boss: ${JSON.stringify(round(figures.pgBoss))}`);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${bossDb}" WITH (FORCE)`);
  }
}

// ---------------------------------------------------------------- the table

function report() {
  const f = figures;
  const peerRef = (label, value, unit) => ({ label: PEERS ? label : `${label} (run --peers)`, value: PEERS ? value : Number.NaN, unit });
  const rows = [
    {
      figure: 'POST /tasks, 50 connections',
      ours: { value: f.create.rate, unit: '/s' },
      reference: { label: 'bare Fastify, 2-statement tx', value: f.bareFastify.rate, unit: '/s' },
      target: { op: '>=', value: 1.0 },
    },
    {
      figure: 'POST /tasks p50',
      ours: { value: f.create.p50, unit: 'ms' },
      reference: { label: 'bare Fastify p50', value: f.bareFastify.p50, unit: 'ms' },
      target: null,
    },
    {
      figure: 'POST /tasks p99',
      ours: { value: f.create.p99, unit: 'ms' },
      reference: { label: 'bare Fastify p99', value: f.bareFastify.p99, unit: 'ms' },
      target: { op: '<=', value: 1.0 },
    },
    {
      figure: 'POST /tasks',
      ours: { value: f.create.rate, unit: '/s' },
      reference: peerRef('pg-boss send(), 50 callers', f.pgBoss?.sendsPerSecond, '/s'),
      target: { op: '>=', value: 1.3 },
    },
    {
      figure: 'POST /tasks',
      ours: { value: f.create.rate, unit: '/s' },
      reference: { label: `Postgres create statement, 1 task, ${f.pgSingle.concurrency} conns`, value: f.pgSingle.rate, unit: '/s' },
      target: null,
    },
    {
      figure: 'POST /tasks/batch (500)',
      ours: { value: f.batch.rate, unit: 'tasks/s' },
      reference: { label: `Postgres 500 rows/statement, ${f.pgMulti.concurrency} conn(s)`, value: f.pgMulti.rate, unit: 'rows/s' },
      target: { op: '>=', value: 0.6 },
    },
    {
      figure: `relay drain, 1 relay (${f.relay1.rows.toLocaleString('en')} rows)`,
      ours: { value: f.relay1.rate, unit: 'rows/s' },
      reference: { label: `RabbitMQ confirmed publish, ${f.rabbitPublish.window} in flight`, value: f.rabbitPublish.rate, unit: '/s' },
      target: null,
    },
    {
      figure: 'relay drain, 2 relays',
      ours: { value: f.relay2.rate, unit: 'rows/s' },
      reference: { label: '1 relay', value: f.relay1.rate, unit: 'rows/s' },
      target: null,
    },
    {
      figure: `worker drain (${SIZE.drain.toLocaleString('en')} noop)`,
      ours: { value: f.workerDrain.rate, unit: '/s' },
      reference: peerRef('BullMQ processed, concurrency 50', f.bullmq?.processedPerSecond, '/s'),
      target: { op: '>=', value: 1.0 },
    },
    {
      figure: 'worker drain',
      ours: { value: f.workerDrain.rate, unit: '/s' },
      reference: { label: `plain worker (2 UPDATEs), prefetch ${f.plainWorker.prefetch}`, value: f.plainWorker.rate, unit: '/s' },
      target: { op: '>=', value: 3 },
    },
    {
      figure: 'worker drain',
      ours: { value: f.workerDrain.rate, unit: '/s' },
      reference: { label: `RabbitMQ consume+ack, prefetch ${f.rabbitConsume.prefetch}`, value: f.rabbitConsume.rate, unit: '/s' },
      target: null,
    },
    {
      figure: 'worker drain',
      ours: { value: f.workerDrain.rate, unit: '/s' },
      reference: peerRef('pg-boss work(), batches of 100', f.pgBoss?.workPerSecond, '/s'),
      target: null,
    },
    {
      figure: 'sustained create-to-complete',
      ours: { value: f.sustained.completedRate, unit: '/s' },
      reference: { label: 'POST /tasks intake alone, just before', value: f.sustained.intakeAlone, unit: '/s' },
      target: { op: '>=', value: 0.8 },
    },
    {
      figure: 'idle create-to-start p50',
      ours: { value: f.idle.p50, unit: 'ms' },
      reference: peerRef('pg-boss idle send-to-start p50 (NOTIFY)', f.pgBoss?.idleP50, 'ms'),
      target: { op: '<=', value: 1.0 },
    },
    {
      figure: 'idle create-to-start p50',
      ours: { value: f.idle.p50, unit: 'ms' },
      reference: peerRef('BullMQ idle add-to-start p50', f.bullmq?.idleP50, 'ms'),
      target: null,
    },
    {
      figure: 'idle create-to-start p99',
      ours: { value: f.idle.p99, unit: 'ms' },
      reference: { label: 'our idle p50', value: f.idle.p50, unit: 'ms' },
      target: { op: '<=', value: 3 },
    },
    {
      figure: `HIGH under ${f.highUnderLow.lowQueued.toLocaleString('en')} LOW, p99`,
      ours: { value: f.highUnderLow.p99, unit: 'ms' },
      reference: { label: 'our idle p99', value: f.idle.p99, unit: 'ms' },
      target: { op: '<=', value: 2 },
    },
    {
      figure: 'CPU per task: intake alone vs whole pipeline',
      ours: { value: f.cpu.intakeAlone?.microsPerTask.total, unit: 'µs' },
      reference: { label: 'api+relay+worker+services, create to complete', value: f.cpu.pipeline?.microsPerTask.total, unit: 'µs' },
      target: null,
    },
    ...['api', 'relay', 'worker'].map((app) => ({
      figure: `RSS ${app} (max under load)`,
      ours: { value: f.rssMaxMB[app], unit: 'MB' },
      reference: { label: 'budget', value: 150, unit: 'MB' },
      target: { op: '<=', value: 1.0 },
    })),
  ];
  const [small, large] = SIZE.reads;
  for (const key of Object.keys(f.reads[small])) {
    rows.push({
      figure: `${f.readLabels[key]}, HTTP p50 @${short(large)}`,
      ours: { value: f.reads[large][key].p50, unit: 'ms' },
      reference: { label: `same @${short(small)}`, value: f.reads[small][key].p50, unit: 'ms' },
      target: { op: '<=', value: 1.5 },
    });
    rows.push({
      figure: `${f.readLabels[key]}, SQL p50 @${short(large)} (buffers ${f.readBuffers[large][key]} vs ${f.readBuffers[small][key]})`,
      ours: { value: f.readsSql[large][key].p50, unit: 'ms' },
      reference: { label: `same @${short(small)}`, value: f.readsSql[small][key].p50, unit: 'ms' },
      target: { op: '<=', value: 1.5 },
    });
  }
  const table = formatTable(tableRows(rows));
  figures.table = table;
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/${QUICK ? 'quick' : 'full'}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  const json = JSON.stringify(figures, null, 2);
  writeFileSync(file, json);
  writeFileSync('bench/results/latest.json', json);
  console.log(`\n${figures.machine.summary}\n\n${table}\n`);
  console.log(`Where the CPU went (microseconds of CPU per task, by process; cores busy = CPU seconds / wall seconds):\n\n${cpuTable(f.cpu)}\n`);
  console.log(`Query plans (EXPLAIN ANALYZE, BUFFERS) at ${short(large)} tasks:`);
  for (const [key, plan] of Object.entries(f.plans[large])) console.log(`\n-- ${f.readLabels[key]}\n${plan}`);
  const { plans: _plans, table: _table, ...raw } = figures;
  console.log(`\nraw figures:\n${JSON.stringify(round(raw))}\n\nwritten to ${file} and bench/results/latest.json`);
}

// ---------------------------------------------------------------- plumbing

/** The CPU figures as a text table: a row per step, a column per process group. */
function cpuTable(steps) {
  const labels = {
    create: 'POST /tasks, 50 connections',
    relayDrain: 'relay drain, 1 relay (per row)',
    workerDrain: 'worker drain',
    intakeAlone: 'intake alone (sustained step)',
    sustainedLoad: 'sustained, under load (per completed)',
    pipeline: 'sustained, create to complete',
  };
  const groups = ['api', 'relay', 'worker', 'postgres', 'rabbitmq', 'redis', 'bench', 'total'];
  const header = ['step', 'tasks', 'cores busy', ...groups];
  const lines = Object.entries(steps).map(([key, step]) => [
    labels[key] ?? key,
    step.tasks.toLocaleString('en'),
    step.coresBusy.toFixed(2),
    ...groups.map((g) => (step.microsPerTask[g] === undefined ? '—' : step.microsPerTask[g].toFixed(0))),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  return [row(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...lines.map(row)].join('\n');
}

const appPids = () => [...children].map((entry) => [entry.app, entry.child.pid]);

async function countTasks(db) {
  return (await db.query('SELECT count(*)::int AS n FROM tasks')).rows[0].n;
}

/**
 * CPU per task since `before` (until `until`, or now), by process group, in microseconds, and
 * how many of the machine's cores the step kept busy.
 */
function cpuPerTask(before, tasks, until = cpuSnapshot(appPids())) {
  const { wallSeconds, groups } = cpuDelta(before, until);
  const total = Object.values(groups).reduce((a, b) => a + b, 0);
  const perTask = Object.fromEntries(Object.entries(groups).map(([group, seconds]) => [group, (seconds * 1e6) / tasks]));
  return { tasks, wallSeconds, coresBusy: total / wallSeconds, microsPerTask: { ...perTask, total: (total * 1e6) / tasks } };
}

/** Runs `measure` for each setting and keeps the fastest result. */
async function best(settings, measure) {
  let top = null;
  const tried = [];
  for (const setting of settings) {
    const result = await measure(setting);
    tried.push(result);
    if (!top || result.rate > top.rate) top = result;
  }
  return { ...top, tried };
}

/** POST `path` at 50 keep-alive connections for the configured time, after a 1 s warm-up. */
async function httpLoad(port, path, body, seconds = SIZE.seconds) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const r = await closedLoop({ concurrency: CONNECTIONS, ms: seconds * 1000, warmupMs: 1000, op: () => request(agent, port, 'POST', path, body(), 201) });
  agent.destroy();
  return { rate: r.rate, p50: percentile(r.latencies, 0.5), p99: percentile(r.latencies, 0.99), requests: r.items, connections: CONNECTIONS };
}

/** Waits until `n` tasks are COMPLETED; tasks per second from the first start to the last completion. */
async function drainRate(db, n) {
  for (;;) {
    const { rows } = await db.query("SELECT count(*)::int AS n FROM tasks WHERE status = 'COMPLETED'");
    if (rows[0].n >= n) break;
    await sleep(100);
  }
  const { rows } = await db.query(
    "SELECT count(*)::int AS n, extract(epoch FROM max(completed_at) - min(started_at))::float8 AS span FROM tasks WHERE status = 'COMPLETED'",
  );
  return rows[0].n / rows[0].span;
}

/**
 * Creates `samples` tasks one at a time; each waits for its startedAt. Times are the API's own,
 * so the benchmark need not watch closely: it reads the task 20 ms after creating it (then every
 * 2 ms until it has started), which keeps its own polling off the path it measures.
 */
async function createToStart(port, agent, samples, priority) {
  const latencies = [];
  for (let i = 0; i < samples; i++) {
    const { body: created } = await request(agent, port, 'POST', '/api/v1/tasks', { title: 'bench', type: 'noop', priority }, 201);
    await sleep(20);
    for (;;) {
      const { body: task } = await request(agent, port, 'GET', `/api/v1/tasks/${created.id}`, undefined, 200);
      if (task.startedAt) {
        latencies.push(Date.parse(task.startedAt) - Date.parse(task.createdAt));
        break;
      }
      await sleep(2);
    }
    if (samples > 1) await sleep(20);
  }
  return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), samples: latencies.length };
}

async function truncate(db) {
  await db.query('TRUNCATE tasks, outbox, task_events, task_count_deltas, task_counts, idempotency_keys CASCADE');
  const queues = execFileSync('rabbitmqctl', ['-q', 'list_queues', '-p', name, 'name', '--no-table-headers']).toString().split('\n').filter(Boolean);
  for (const queue of queues) execFileSync('rabbitmqctl', ['-q', 'purge_queue', '-p', name, queue.trim()]);
}

/** Starts an app (dist/apps/<app>) or a reference script; resolves once it says it listens. */
function start(app, script = `dist/apps/${app}/src/main.js`, extraEnv = {}) {
  // The node flags `npm start` gives each app (scripts/start.mjs): relay and worker run with a
  // smaller young generation, as deployed.
  const flags = ['relay', 'worker'].includes(app) ? ['--max-semi-space-size=2'] : [];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...flags, script], { env: { ...appEnv, ...extraEnv }, stdio: ['ignore', 'pipe', 'inherit'] });
    const entry = { app, child, port: 0, exited: new Promise((r) => child.once('exit', r)) };
    children.add(entry);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /listening on port (\d+)/.exec(line);
      if (m || /plain worker ready/.test(line)) {
        entry.port = m ? Number(m[1]) : 0;
        // Let it connect to RabbitMQ and declare its topology before it is measured.
        setTimeout(() => resolve(entry), 500);
      }
    });
    child.once('exit', (code) => {
      children.delete(entry);
      reject(new Error(`${app} exited with ${code}`));
    });
  });
}

async function stop(entry) {
  if (!children.has(entry)) return;
  entry.child.kill('SIGTERM');
  const timer = setTimeout(() => entry.child.kill('SIGKILL'), 10_000);
  await entry.exited;
  clearTimeout(timer);
  children.delete(entry);
}

async function stopAll() {
  for (const entry of children) await stop(entry);
}

function sampleRss() {
  for (const { app, child } of children) {
    try {
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]);
      rssMax[app] = Math.max(rssMax[app] ?? 0, kb / 1024);
    } catch {
      // exited between two samples
    }
  }
}

async function machine(db) {
  const version = (cmd, args) => {
    try {
      return execFileSync(cmd, args).toString().trim();
    } catch {
      return 'unknown';
    }
  };
  const m = {
    cores: os.availableParallelism(),
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    node: process.versions.node,
    postgres: (await db.query('SHOW server_version')).rows[0].server_version,
    rabbitmq: version('rabbitmqctl', ['version']),
    redis: /redis_version:(\S+)/.exec(version('redis-cli', ['-u', process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', 'info', 'server']))?.[1] ?? 'unknown',
    load: os.loadavg().map((l) => l.toFixed(2)),
  };
  m.summary =
    `${m.cores} cores, ${m.memoryGB} GB, Node ${m.node}, PostgreSQL ${m.postgres}, RabbitMQ ${m.rabbitmq}, Redis ${m.redis}, ` +
    `load ${m.load.join(' ')} at start`;
  return m;
}

async function deleteRedisPrefix(redisUrl, prefix) {
  const { default: IORedis } = await import('ioredis');
  const redis = new IORedis(redisUrl);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  await redis.quit();
}

const short = (n) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);
function round(value) {
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(4)) : v)));
}

// Exits when done: the peers' clients (ioredis, pg-boss) can keep timers alive after they close.
main().then(
  () => process.exit(0),
  async (error) => {
    console.error(`bench failed: ${error.stack ?? error.message}`);
    await stopAll();
    process.exit(1);
  },
);

// Memory, latency and relay-drain measurements of the three apps as real processes, on a
// database and vhost of their own. Not a pass/fail test: it prints numbers.
//
//   node bench/memory-load.mjs memory   RSS of each app idle, then peak/end under sustained creates (LOAD_SECONDS, LOAD_CONCURRENCY)
//   node bench/memory-load.mjs latency  create-to-start of single tasks on an idle system, then of HIGH tasks behind 20,000 queued LOW
//   node bench/memory-load.mjs drain    rows/s a relay (then two relays at once) drains from a pre-filled outbox (DRAIN_ROWS)
//
// The apps run with the V8 flags `npm start` gives them; APP_NODE_FLAGS replaces them for all three ('' for none).
// Run it on a quiet machine: every number here is bounded by CPU the other processes leave.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createInterface } from 'node:readline';
import amqplib from 'amqplib';
import pg from 'pg';
import { ensureBuild } from '../scripts/ensure-build.mjs';

ensureBuild();
const mode = process.argv[2] ?? 'memory';
const name = `tasks_memload_${process.pid}`;
const { loadConfig, postgresConnectionOptions } = await import('../dist/libs/config/src/index.js');
const { INSERT_TASKS_WITH_OUTBOX } = await import('../dist/libs/database/src/sql/insert-tasks-with-outbox.sql.js');
const { benchTaskRow } = await import('./create-row.mjs');
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
};
const appFlags = (app) => (process.env.APP_NODE_FLAGS ?? (app === 'api' ? '' : '--max-semi-space-size=2')).split(' ').filter(Boolean);
const children = [];
const now = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rss = (pid) => {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`process ${pid} (${children.find((c) => c.child.pid === pid)?.app}) has no RSS: it exited`);
  return Number(m[1]) / 1024;
};
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const percentiles = (xs) => [0.5, 0.9, 0.99].map((p) => `p${Math.round(p * 100)} ${pct(xs, p).toFixed(2)} ms`).join('  ');

function start(app, extraEnv = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...appFlags(app), `dist/apps/${app}/src/main.js`], {
      env: { ...env, LOG_LEVEL: 'info', ...extraEnv },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const entry = { app, child, port: 0 };
    children.push(entry);
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (process.env.SHOW_LOGS) console.log(`[${app}] ${line}`);
      const m = /listening on port (\d+)/.exec(line);
      if (m) {
        entry.port = Number(m[1]);
        setTimeout(() => resolve(entry), 500);
      }
    });
    child.once('exit', (code, signal) => {
      if (code !== 0) console.error(`${app} exited with ${code} ${signal}`);
      reject(new Error(`${app} exited with ${code}`));
    });
  });
}

function post(port, path, body, agent) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(
      { host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          res.statusCode === 201
            ? resolve(JSON.parse(Buffer.concat(chunks).toString()))
            : reject(new Error(`POST ${path} answered ${res.statusCode} ${Buffer.concat(chunks).toString()}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

async function memory(db) {
  const seconds = Number(process.env.LOAD_SECONDS ?? 30);
  const concurrency = Number(process.env.LOAD_CONCURRENCY ?? 32);
  const apps = [await start('api'), await start('relay'), await start('worker')];
  await sleep(3000);
  const idle = Object.fromEntries(apps.map((a) => [a.app, rss(a.child.pid)]));
  const peak = { ...idle };
  const sampler = setInterval(() => {
    for (const a of apps) {
      try {
        peak[a.app] = Math.max(peak[a.app], rss(a.child.pid));
      } catch (error) {
        console.error(error.message);
      }
    }
  }, 100);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const priorities = ['HIGH', 'MEDIUM', 'LOW'];
  let created = 0;
  const end = now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, i) => {
      while (now() < end) {
        if (i === 0 && created % 50 === 0) {
          await post(
            apps[0].port,
            '/api/v1/tasks/batch',
            { tasks: Array.from({ length: 200 }, () => ({ title: 'batch', type: 'noop', priority: 'LOW' })) },
            agent,
          );
          created += 200;
        } else {
          await post(
            apps[0].port,
            '/api/v1/tasks',
            { title: `load ${created}`, type: 'noop', priority: priorities[created % 3], description: 'x'.repeat(created % 200) },
            agent,
          );
          created++;
        }
      }
    }),
  );
  const loadEnd = Object.fromEntries(apps.map((a) => [a.app, rss(a.child.pid)]));
  for (;;) {
    const { rows } = await db.query("SELECT count(*)::int AS n FROM tasks WHERE status <> 'COMPLETED'");
    if (rows[0].n === 0) break;
    await sleep(200);
  }
  clearInterval(sampler);
  await sleep(3000);
  const after = Object.fromEntries(apps.map((a) => [a.app, rss(a.child.pid)]));
  console.log(`created ${created} tasks in ${seconds} s (${Math.round(created / seconds)}/s), concurrency ${concurrency}`);
  console.log('app      idle   peak  end-of-load  drained+3s   (MiB RSS)');
  for (const a of apps) {
    console.log(
      [
        a.app.padEnd(8),
        idle[a.app].toFixed(0).padStart(4),
        peak[a.app].toFixed(0).padStart(6),
        loadEnd[a.app].toFixed(0).padStart(9),
        after[a.app].toFixed(0).padStart(12),
      ].join(' '),
    );
  }
  if (process.env.HOLD) await sleep(Number(process.env.HOLD) * 1000);
}

async function startedLatency(db, port, agent, priority) {
  const task = await post(port, '/api/v1/tasks', { title: 'latency', type: 'noop', priority }, agent);
  for (;;) {
    const { rows } = await db.query('SELECT extract(epoch FROM started_at - created_at) * 1000 AS ms FROM tasks WHERE id = $1 AND started_at IS NOT NULL', [
      task.id,
    ]);
    if (rows.length > 0) return Number(rows[0].ms);
    await sleep(2);
  }
}

async function latency(db) {
  const samples = Number(process.env.LATENCY_SAMPLES ?? 300);
  const apps = [await start('api'), await start('relay'), await start('worker')];
  await sleep(2000);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const idle = [];
  for (let i = 0; i < samples; i++) {
    idle.push(await startedLatency(db, apps[0].port, agent, 'MEDIUM'));
    await sleep(20);
  }
  idle.sort((a, b) => a - b);
  console.log(`idle create-to-start    ${percentiles(idle)}  (n=${idle.length})`);
  // 20,000 LOW queued: the worker is stopped while they are queued, then started again.
  const worker = apps[2];
  worker.child.kill('SIGTERM');
  await new Promise((r) => worker.child.once('exit', r));
  children.splice(children.indexOf(worker), 1);
  for (let i = 0; i < 20000; i += 1000) {
    await post(apps[0].port, '/api/v1/tasks/batch', { tasks: Array.from({ length: 1000 }, () => ({ title: 'low', type: 'noop', priority: 'LOW' })) }, agent);
  }
  for (;;) {
    const { rows } = await db.query("SELECT count(*)::int AS n FROM tasks WHERE status = 'NEW'");
    if (rows[0].n === 0) break;
    await sleep(100);
  }
  await start('worker');
  await sleep(1000);
  const high = [];
  for (let i = 0; i < Math.min(samples, 200); i++) {
    high.push(await startedLatency(db, apps[0].port, agent, 'HIGH'));
    await sleep(20);
  }
  high.sort((a, b) => a - b);
  const { rows } = await db.query("SELECT count(*)::int AS n FROM tasks WHERE priority = 'LOW' AND status IN ('PENDING')");
  console.log(`HIGH behind LOW queue   ${percentiles(high)}  (n=${high.length}, LOW still pending at end: ${rows[0].n})`);
}

async function fillOutbox(db, rows) {
  for (let i = 0; i < rows; i += 1000) {
    const n = Math.min(1000, rows - i);
    await db.query(INSERT_TASKS_WITH_OUTBOX, [JSON.stringify(Array.from({ length: n }, () => benchTaskRow()))]);
  }
}

async function drainOnce(db, relays, rows) {
  await db.query('TRUNCATE outbox, tasks CASCADE');
  const conn = await amqplib.connect(amqpUrl);
  const ch = await conn.createChannel();
  for (const q of ['tasks.high', 'tasks.medium', 'tasks.low']) await ch.purgeQueue(q).catch(() => undefined);
  await fillOutbox(db, rows);
  const started = [];
  const t0 = now();
  for (let i = 0; i < relays; i++) started.push(start('relay'));
  const procs = await Promise.all(started);
  let t1;
  for (;;) {
    const { rows: r } = await db.query('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL');
    if (r[0].n === 0) break;
    await sleep(50);
  }
  t1 = now();
  const { rows: span } = await db.query('SELECT extract(epoch FROM max(published_at) - min(published_at)) AS s FROM outbox');
  const publishSeconds = Number(span[0].s);
  for (const p of procs) {
    p.child.kill('SIGTERM');
    await new Promise((r) => p.child.once('exit', r));
    children.splice(children.indexOf(p), 1);
  }
  let messages = 0;
  for (const q of ['tasks.high', 'tasks.medium', 'tasks.low']) messages += (await ch.checkQueue(q)).messageCount;
  // Each message once: count the task ids of every queued message.
  const seen = new Map();
  if (messages > 0) {
    await new Promise((resolve, reject) => {
      let got = 0;
      for (const q of ['tasks.high', 'tasks.medium', 'tasks.low']) {
        ch.consume(
          q,
          (m) => {
            const id = JSON.parse(m.content.toString()).taskId;
            seen.set(id, (seen.get(id) ?? 0) + 1);
            if (++got === messages) resolve();
          },
          { noAck: true },
        ).catch(reject);
      }
    });
  }
  const dup = [...seen.values()].filter((v) => v > 1).length;
  await conn.close();
  // The relay process start is inside the timing: subtract nothing, report both.
  console.log(
    `${relays} relay(s), batch ${process.env.OUTBOX_BATCH_SIZE ?? 'default'}: ${rows} rows, first to last publish ${publishSeconds.toFixed(2)} s = ` +
      `${Math.round(rows / publishSeconds)} rows/s (start to drained ${((t1 - t0) / 1000).toFixed(1)} s); ` +
      `messages ${messages}, distinct tasks ${seen.size}, duplicated ${dup}`,
  );
}

async function drain(db) {
  const rows = Number(process.env.DRAIN_ROWS ?? 100000);
  // The queues and exchange exist once an app declared them.
  const relay = await start('relay');
  relay.child.kill('SIGTERM');
  await new Promise((r) => relay.child.once('exit', r));
  children.splice(children.indexOf(relay), 1);
  await drainOnce(db, 1, rows);
  await drainOnce(db, 2, rows);
}

async function main() {
  const admin = new pg.Client(postgresConnectionOptions(postgres, 'postgres'));
  await admin.connect();
  execFileSync('rabbitmqctl', ['-q', 'add_vhost', name]);
  execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', name, amqpBase.username || 'guest', '.*', '.*', '.*']);
  try {
    execFileSync(process.execPath, ['dist/apps/migrate/src/main.js'], { env, stdio: 'ignore' });
    const db = new pg.Pool({ ...postgresConnectionOptions(postgres, name), max: 4 });
    if (mode === 'memory') await memory(db);
    else if (mode === 'latency') await latency(db);
    else if (mode === 'drain') await drain(db);
    else throw new Error(`unknown mode ${mode}: memory, latency or drain`);
    await db.end();
  } finally {
    for (const c of children) c.child.kill('SIGKILL');
    await sleep(300);
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
    execFileSync('rabbitmqctl', ['-q', 'delete_vhost', name]);
  }
}

main().catch((error) => {
  console.error(`memory-load failed: ${error.stack}`);
  process.exit(1);
});

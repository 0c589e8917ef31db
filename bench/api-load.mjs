// `node bench/api-load.mjs`: the API alone under the bench's create load, with its RSS sampled
// from outside: idle, POST /api/v1/tasks at 50 connections, then POST /api/v1/tasks/batch (500
// tasks a request) at 1 and 4 connections, next to the multi-row create statement (the batch's
// ceiling) measured in the same run. Prints rates, p50/p99 and the RSS peak of each phase. Not a
// pass/fail test. On a database and vhost of its own (tasks_apiload_<pid>), removed at the end.
//
//   API_NODE_FLAGS='--max-semi-space-size=4'   node flags of the API process (default: the ones `npm start` gives it)
//   LOAD_SECONDS=8                              seconds of each measured phase
//   PHASES=create,batch,ceiling                 which phases to run, in that order
//   CPU_PROF=dir                                runs the API with --cpu-prof into dir
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { ensureBuild } from '../scripts/ensure-build.mjs';
import { benchTaskRow } from './create-row.mjs';
import { closedLoop, request, sleep } from './lib/load.mjs';
import { percentile } from './lib/report.mjs';

ensureBuild();
const { INSERT_TASKS_WITH_OUTBOX } = await import('../dist/libs/database/src/sql/insert-tasks-with-outbox.sql.js');
const { loadConfig, postgresConnectionOptions } = await import('../dist/libs/config/src/index.js');

const seconds = Number(process.env.LOAD_SECONDS ?? 8);
const phases = (process.env.PHASES ?? 'create,batch,ceiling').split(',');
const flags = (process.env.API_NODE_FLAGS ?? '').split(' ').filter(Boolean);
if (process.env.CPU_PROF) flags.push('--cpu-prof', `--cpu-prof-dir=${process.env.CPU_PROF}`);
const name = `tasks_apiload_${process.pid}`;
const { postgres } = loadConfig(process.env);
const amqpBase = new URL(process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
const amqpUrl = `${amqpBase.protocol}//${amqpBase.username}:${amqpBase.password}@${amqpBase.host}/${name}`;
const env = { ...process.env, POSTGRES_DB: name, RABBITMQ_URL: amqpUrl, LOG_LEVEL: 'info', API_PORT: '0', HEALTH_CHECK_PORT: '0', RATE_LIMIT_MAX: '0' };

const rssOf = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

function startApi() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...flags, 'dist/apps/api/src/main.js'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /listening on port (\d+)/.exec(line);
      if (m) setTimeout(() => resolve({ child, port: Number(m[1]) }), 500);
    });
    child.once('exit', (code) => reject(new Error(`api exited with ${code}`)));
  });
}

/** Runs `fn` while sampling the API's RSS every 50 ms; returns its result (with the API's CPU after `warmupMs`) and the peak. */
async function sampled(pid, warmupMs, fn) {
  let cpu0 = cpuOf(pid);
  const warm = setTimeout(() => (cpu0 = cpuOf(pid)), warmupMs);
  let peak = rssOf(pid);
  const timer = setInterval(() => {
    const rss = rssOf(pid);
    if (process.env.DUMP && rss > peak + 5) process.kill(pid, 'SIGPWR');
    peak = Math.max(peak, rss);
  }, 50);
  try {
    const result = await fn();
    clearTimeout(warm);
    // The API's CPU from the end of the warm-up (as closedLoop counts), to the last answer.
    result.cpuMs = (cpuOf(pid) - cpu0) * 1000;
    return { result, peak };
  } finally {
    clearInterval(timer);
    peak = Math.max(peak, rssOf(pid));
  }
}

async function main() {
  const admin = new pg.Client(postgresConnectionOptions(postgres, 'postgres'));
  await admin.connect();
  execFileSync('rabbitmqctl', ['-q', 'add_vhost', name]);
  execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', name, amqpBase.username || 'guest', '.*', '.*', '.*']);
  let api;
  const db = new pg.Pool({ ...postgresConnectionOptions(postgres, name), max: 8 });
  db.on('error', () => undefined);
  const truncate = () => db.query('TRUNCATE tasks, outbox, task_events, task_count_deltas, task_counts, idempotency_keys CASCADE');
  try {
    execFileSync(process.execPath, ['dist/apps/migrate/src/main.js'], { env: { ...env, LOG_LEVEL: 'warn' }, stdio: 'ignore' });
    console.log(`api flags: ${flags.join(' ') || '(none)'}`);
    api = await startApi();
    await sleep(2000);
    console.log(`idle RSS ${rssOf(api.child.pid).toFixed(0)} MiB`);
    if (phases.includes('create')) {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
      const body = { title: 'bench', type: 'noop', priority: 'LOW' };
      const { result: r, peak } = await sampled(api.child.pid, 1000, () =>
        closedLoop({ concurrency: 50, ms: seconds * 1000, warmupMs: 1000, op: () => request(agent, api.port, 'POST', '/api/v1/tasks', body, 201) }),
      );
      agent.destroy();
      const latency = `p50 ${percentile(r.latencies, 0.5).toFixed(1)} ms, p99 ${percentile(r.latencies, 0.99).toFixed(1)} ms`;
      console.log(`POST /tasks, 50 connections: ${r.rate.toFixed(0)} req/s, ${latency}; ${cpu(r)}; RSS peak ${peak.toFixed(0)} MiB`);
      await truncate();
    }
    if (phases.includes('batch')) {
      const batch = { tasks: Array.from({ length: 500 }, () => ({ title: 'bench', type: 'noop', priority: 'LOW' })) };
      const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
      for (const concurrency of [1, 4]) {
        const { result: r, peak } = await sampled(api.child.pid, 500, () =>
          closedLoop({
            concurrency,
            ms: (seconds * 1000) / 2,
            warmupMs: 500,
            op: async () => {
              await request(agent, api.port, 'POST', '/api/v1/tasks/batch', batch, 201);
              return 500;
            },
          }),
        );
        await truncate();
        console.log(`POST /tasks/batch (500), ${concurrency} connection(s): ${r.rate.toFixed(0)} tasks/s; ${cpu(r)}; RSS peak ${peak.toFixed(0)} MiB`);
      }
      agent.destroy();
    }
    if (phases.includes('ceiling')) {
      for (const concurrency of [1, 4]) {
        const r = await closedLoop({
          concurrency,
          ms: (seconds * 1000) / 2,
          warmupMs: 500,
          op: async () => {
            await db.query(INSERT_TASKS_WITH_OUTBOX, [JSON.stringify(Array.from({ length: 500 }, benchTaskRow))]);
            return 500;
          },
        });
        await truncate();
        console.log(`ceiling: create statement, 500 tasks, ${concurrency} connection(s): ${r.rate.toFixed(0)} rows/s`);
      }
    }
    if (process.env.HOLD) await sleep(Number(process.env.HOLD) * 1000);
  } finally {
    if (api) {
      api.child.kill('SIGTERM');
      await new Promise((r) => api.child.once('exit', r));
    }
    await db.end();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
    execFileSync('rabbitmqctl', ['-q', 'delete_vhost', name]);
  }
}

/** The API's CPU per task in a phase (it includes the answers still in flight when the time ended). */
const cpu = (r) => `API CPU ${((r.cpuMs / r.items) * 1000).toFixed(0)} µs/task`;

/** User + system CPU seconds of a process so far. */
function cpuOf(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

main().catch((error) => {
  console.error(`api-load failed: ${error.stack}`);
  process.exit(1);
});

// `npm run bench:relay`: the relay draining a pre-filled outbox. Writes BENCH_ROWS tasks with
// their dispatch rows (the create statement, no API), starts BENCH_RELAYS relays, and measures
// rows/s from the first publish to the last (published_at in Postgres) and the relays' CPU time
// per row (user + system, from /proc), which a busy machine disturbs less than the rate. Each
// run has a database and a vhost of its own. Not a test: read the numbers.
//
// Environment: BENCH_ROWS (default 100000), BENCH_RELAYS (default 1), BENCH_RUNS (default 1),
// BENCH_CPU_PROF (a directory: the relays run with --cpu-prof and write their profiles there),
// and the relay's usual OUTBOX_BATCH_SIZE and the rest.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { ensureBuild } from '../scripts/ensure-build.mjs';
import { benchTaskRow } from './create-row.mjs';

ensureBuild();
const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const RELAYS = Number(process.env.BENCH_RELAYS ?? 1);
const RUNS = Number(process.env.BENCH_RUNS ?? 1);
const PROFILE_DIR = process.env.BENCH_CPU_PROF;
const name = `tasks_relay_${process.pid}`;
const { INSERT_TASKS_WITH_OUTBOX } = await import('../dist/libs/database/src/sql/insert-tasks-with-outbox.sql.js');
const { loadConfig, postgresConnectionOptions } = await import('../dist/libs/config/src/index.js');
const { postgres } = loadConfig(process.env);
const amqpBase = new URL(process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
const amqpUrl = `${amqpBase.protocol}//${amqpBase.username}:${amqpBase.password}@${amqpBase.host}/${name}`;
const env = { ...process.env, POSTGRES_DB: name, RABBITMQ_URL: amqpUrl, LOG_LEVEL: 'warn', HEALTH_CHECK_PORT: '0' };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const ticks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticks;
}

function start() {
  const flags = ['--max-semi-space-size=2', ...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [])];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...flags, 'dist/apps/relay/src/main.js'], {
      env: { ...env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (/listening on port/.test(line)) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`relay exited with ${code}`)));
  });
}

async function main() {
  const admin = new pg.Client(postgresConnectionOptions(postgres, 'postgres'));
  await admin.connect();
  execFileSync('rabbitmqctl', ['-q', 'add_vhost', name]);
  execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', name, amqpBase.username || 'guest', '.*', '.*', '.*']);
  const db = new pg.Pool({ ...postgresConnectionOptions(postgres, name), max: 2 });
  db.on('error', () => undefined);
  try {
    execFileSync(process.execPath, ['dist/apps/migrate/src/main.js'], { env, stdio: 'ignore' });
    console.log(`relay drain: ${ROWS} rows, ${RELAYS} relay(s), OUTBOX_BATCH_SIZE=${env.OUTBOX_BATCH_SIZE ?? '(default)'}`);
    for (let run = 1; run <= RUNS; run++) {
      await db.query('TRUNCATE tasks, outbox CASCADE');
      for (let i = 0; i < ROWS; i += 1000) {
        await db.query(INSERT_TASKS_WITH_OUTBOX, [JSON.stringify(Array.from({ length: Math.min(1000, ROWS - i) }, benchTaskRow))]);
      }
      await db.query('VACUUM ANALYZE tasks, outbox');
      const relays = [];
      for (let r = 0; r < RELAYS; r++) relays.push(await start());
      const cpuBefore = relays.map((child) => cpuSeconds(child.pid));
      for (;;) {
        const { rows } = await db.query('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL');
        if (rows[0].n === 0) break;
        await sleep(100);
      }
      const cpu = relays.reduce((sum, child, i) => sum + cpuSeconds(child.pid) - cpuBefore[i], 0);
      const { rows } = await db.query(
        'SELECT count(*)::int AS n, extract(epoch FROM max(published_at) - min(published_at))::float8 AS span FROM outbox WHERE published_at IS NOT NULL',
      );
      const peakKB = (pid) => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
      const peakMB = relays.map((child) => Math.round(peakKB(child.pid) / 1024));
      const rate = Math.round(rows[0].n / rows[0].span).toLocaleString('en');
      console.log(`run ${run}: ${rate} rows/s, relay CPU ${((cpu * 1e6) / rows[0].n).toFixed(1)} µs/row, peak RSS ${peakMB.join(', ')} MB`);
      for (const child of relays) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
    }
  } finally {
    await db.end();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
    execFileSync('rabbitmqctl', ['-q', 'delete_vhost', name]);
  }
}

main().catch((error) => {
  console.error(`relay drain bench failed: ${error.message}`);
  process.exit(1);
});

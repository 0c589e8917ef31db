// `node bench/status-writes-cpu.mjs`: what the worker's status writes cost Postgres, in CPU
// seconds of the one backend that runs them, read from /proc. CPU time is what a busy machine
// changes least (a wall-clock rate on a machine shared with other work says more about the
// others), and the workload is fixed: no broker, no worker process, batches of a set size.
// Not a pass/fail test: read the numbers, and compare builds on the same machine one after
// another (a loaded machine inflates CPU time too, less than wall time).
//
// For each batch size in STATUS_CPU_BATCHES (default 1,20,50): STATUS_CPU_TASKS (default 5000)
// PENDING noop tasks are claimed with the worker's batch claim and completed with its batch
// outcome statement (TaskExecutionRepository.claimMany / finishMany, one commit each, as the
// worker sends them; batch size 1 uses the single-row statements). Then the statements the
// trigger design taxes: one-row progress writes and a lease renewal of 50 attempts. A plain
// reference last: two one-row UPDATEs per task, each its own commit.
// Run it on the machine that runs Postgres; POSTGRES_* as usual.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { ensureBuild } from '../scripts/ensure-build.mjs';

ensureBuild();
const { loadConfig, postgresConnectionOptions } = await import('../dist/libs/config/src/index.js');
const { ClientExecutor, TaskExecutionRepository } = await import('../dist/libs/database/src/index.js');

const TASKS = Number(process.env.STATUS_CPU_TASKS ?? 5000);
const BATCHES = (process.env.STATUS_CPU_BATCHES ?? '1,20,50').split(',').map(Number);
const name = `tasks_status_cpu_${process.pid}`;
const config = loadConfig(process.env);
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

async function main() {
  const admin = new pg.Client(postgresConnectionOptions(config.postgres, 'postgres'));
  await admin.connect();
  try {
    execFileSync(process.execPath, ['dist/apps/migrate/src/main.js'], { env: { ...process.env, POSTGRES_DB: name }, stdio: 'ignore' });
    const client = new pg.Client(postgresConnectionOptions(config.postgres, name));
    await client.connect();
    const db = new ClientExecutor(client);
    const repository = new TaskExecutionRepository();
    const backend = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const cpu = () => processCpu(backend);
    const per10k = (seconds, n) => ((seconds * 10_000) / n).toFixed(2);
    const migrations = (await client.query('SELECT name FROM migrations ORDER BY id DESC LIMIT 1')).rows[0]?.name;
    console.log(`status writes: ${TASKS} tasks per batch size, last migration ${migrations}; Postgres CPU-seconds per 10,000 tasks`);

    const queue = async () => {
      await client.query('DELETE FROM tasks');
      await client.query(
        `INSERT INTO tasks (id, type, title, priority, status, max_attempts, correlation_id)
         SELECT gen_random_uuid(), 'noop', 'cpu', 'LOW', 'NEW', 4, 'cpu' FROM generate_series(1, $1)`,
        [TASKS],
      );
      await client.query("UPDATE tasks SET status = 'PENDING'");
      await client.query('VACUUM ANALYZE tasks, task_events, task_count_deltas');
      return (await client.query('SELECT id FROM tasks')).rows.map((r) => r.id);
    };

    for (const size of BATCHES) {
      const ids = await queue();
      const claims = ids.map((taskId) => ({ taskId, attempt: 1, token: `cpu:${randomUUID()}` }));
      const t0 = cpu();
      for (let i = 0; i < claims.length; i += size) {
        const batch = claims.slice(i, i + size);
        if (size === 1) await repository.claim(db, batch[0], 30);
        else await repository.claimMany(db, batch, 30);
      }
      const t1 = cpu();
      for (let i = 0; i < claims.length; i += size) {
        const batch = claims.slice(i, i + size).map((claim) => ({ action: 'complete', claim, resultJson: '{}' }));
        if (size === 1) await repository.finishOne(db, batch[0]);
        else await repository.finishMany(db, batch);
      }
      const t2 = cpu();
      const done = (await client.query("SELECT count(*)::int AS n FROM tasks WHERE status = 'COMPLETED'")).rows[0].n;
      if (done !== TASKS) throw new Error(`batch ${size}: ${done} of ${TASKS} completed`);
      console.log(`batch ${String(size).padStart(3)}: claim ${per10k(t1 - t0, TASKS)} s + complete ${per10k(t2 - t1, TASKS)} s = ${per10k(t2 - t0, TASKS)} s`);
    }

    // Statements that change no status: progress writes (one row each) and lease renewals (50 attempts).
    {
      const ids = await queue();
      const claims = ids.slice(0, 50).map((taskId) => ({ taskId, attempt: 1, token: `cpu:${randomUUID()}` }));
      await repository.claimMany(db, claims, 30);
      const t0 = cpu();
      for (let i = 0; i < TASKS; i++) await repository.reportProgress(db, claims[i % claims.length], i % 100);
      const t1 = cpu();
      const renewals = TASKS / 50;
      for (let i = 0; i < renewals; i++) await repository.renewLeases(db, claims, 30);
      const t2 = cpu();
      console.log(`progress write (1 row):   ${per10k(t1 - t0, TASKS)} s per 10,000 statements`);
      console.log(`lease renewal (50 rows):  ${per10k(t2 - t1, renewals)} s per 10,000 statements`);
    }

    // The plain reference: two one-row UPDATEs per task, each its own commit.
    {
      const ids = await queue();
      const t0 = cpu();
      for (const id of ids) {
        await client.query(
          `UPDATE tasks SET status = 'IN_PROGRESS', attempts = 1, locked_by = 'plain', locked_until = now() + interval '30 seconds',
             started_at = now(), updated_at = now() WHERE id = $1 AND status = 'PENDING'`,
          [id],
        );
        await client.query(
          `UPDATE tasks SET status = 'COMPLETED', result = '{}'::jsonb, progress = 100, completed_at = now(), updated_at = now(),
             locked_by = NULL, locked_until = NULL WHERE id = $1 AND status = 'IN_PROGRESS' AND locked_by = 'plain'`,
          [id],
        );
      }
      console.log(`plain (2 one-row UPDATEs): ${per10k(cpu() - t0, TASKS)} s`);
    }
    await client.end();
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

/** utime + stime of a process in seconds. */
function processCpu(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

main().catch((error) => {
  console.error(`status-writes-cpu failed: ${error.stack}`);
  process.exit(1);
});

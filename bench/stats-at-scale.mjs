// `npm run bench:stats`: what GET /tasks/stats and the retention cost on a large tasks table.
// Prints timings and query plans; asserts nothing (machines are noisy).
//
// Seeds BENCH_STATS_TASKS tasks (default 1,000,000; mostly finished, as a long-running service
// has) with one published outbox row each into its own database, then times:
//   - the old stats query (count(*) over tasks) against the one now served (folded counts plus
//     the deltas not folded yet, with 0 and with BENCH_STATS_DELTAS pending delta rows);
//   - the outbox backlog and the oldest PENDING task per priority;
//   - the fold of the pending deltas;
//   - the create statement and a one-row status UPDATE with and without the statement-level
//     triggers that count tasks and write their timeline (tasks_after_insert, tasks_after_update);
//   - the retention of finished tasks, in rows per second.
// Environment: BENCH_STATS_TASKS, BENCH_STATS_DELTAS (default 5000), BENCH_STATS_KEEP=1 keeps the
// database (tasks_bench_stats) for a look with psql, plus the usual POSTGRES_*.
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { ensureBuild } from '../scripts/ensure-build.mjs';
import { benchTaskRow } from './create-row.mjs';

ensureBuild();
const { COUNT_TASKS_BY_STATUS_AND_PRIORITY, OUTBOX_BACKLOG, OLDEST_PENDING_BY_PRIORITY } = await import('../dist/libs/database/src/sql/task-stats.sql.js');
const { FOLD_TASK_COUNTS } = await import('../dist/libs/database/src/sql/fold-task-counts.sql.js');
const { DELETE_FINISHED_TASKS } = await import('../dist/libs/database/src/sql/retention.sql.js');
const { INSERT_TASKS_WITH_OUTBOX } = await import('../dist/libs/database/src/sql/insert-tasks-with-outbox.sql.js');

const TASKS = Number(process.env.BENCH_STATS_TASKS ?? 1_000_000);
const DELTAS = Number(process.env.BENCH_STATS_DELTAS ?? 5000);
const KEEP = process.env.BENCH_STATS_KEEP === '1';
const name = KEEP ? 'tasks_bench_stats' : `tasks_bench_stats_${process.pid}`;
const { loadConfig, postgresConnectionOptions } = await import('../dist/libs/config/src/index.js');
const { postgres } = loadConfig(process.env);
const OLD_COUNT = 'SELECT status, priority, count(*)::int AS count FROM tasks GROUP BY status, priority';

const now = () => Number(process.hrtime.bigint()) / 1e6;
const ms = (n) => `${n.toFixed(n < 10 ? 2 : 0)} ms`;

/** Median of `runs` timings of `work`, after one warm-up run. */
async function median(work, runs = 7) {
  await work();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = now();
    await work();
    times.push(now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

async function explain(db, title, sql, params = []) {
  const { rows } = await db.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql}`, params);
  console.log(`\n-- ${title}\n${rows.map((r) => r['QUERY PLAN']).join('\n')}`);
}

async function main() {
  const admin = new pg.Client(postgresConnectionOptions(postgres, 'postgres'));
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
  let db;
  try {
    execFileSync(process.execPath, ['dist/apps/migrate/src/main.js'], { env: { ...process.env, POSTGRES_DB: name, LOG_LEVEL: 'warn' }, stdio: 'ignore' });
    db = new pg.Pool({ ...postgresConnectionOptions(postgres, name), max: 8 });
    db.on('error', () => undefined);
    console.log(
      `stats and retention at ${TASKS.toLocaleString('en')} tasks, ` +
        `PostgreSQL ${(await db.query('SHOW server_version')).rows[0].server_version}, ${execFileSync('nproc').toString().trim()} cores\n`,
    );

    // Seed: 90 % COMPLETED, 3 % FAILED, 2 % CANCELLED, 2 % PENDING, 1 % each of NEW, IN_PROGRESS,
    // RETRYING; finished ones over the last 60 days; one published outbox row each.
    let t0 = now();
    const chunk = 100_000;
    for (let from = 0; from < TASKS; from += chunk) {
      await db.query(
        `WITH t AS (
           INSERT INTO tasks (id, type, title, priority, max_attempts, correlation_id, status, attempts, created_at, updated_at, completed_at)
           SELECT gen_random_uuid(), 'noop', 'bench', (ARRAY['LOW', 'MEDIUM', 'HIGH']::task_priority[])[1 + i % 3], 4, 'bench', s.status, 1,
                  now() - age, now() - age, CASE WHEN s.status IN ('COMPLETED', 'FAILED', 'CANCELLED') THEN now() - age END
           FROM generate_series($1::int, $2::int) i,
                LATERAL (SELECT make_interval(secs => (i::bigint * 5184000 / $3)::int) AS age) a,
                LATERAL (SELECT CASE WHEN i % 100 < 90 THEN 'COMPLETED' WHEN i % 100 < 93 THEN 'FAILED' WHEN i % 100 < 95 THEN 'CANCELLED'
                                     WHEN i % 100 < 97 THEN 'PENDING' WHEN i % 100 = 97 THEN 'NEW' WHEN i % 100 = 98 THEN 'IN_PROGRESS'
                                     ELSE 'RETRYING' END::task_status AS status) s
           RETURNING id, updated_at
         )
         INSERT INTO outbox (task_id, kind, message_id, exchange, routing_key, body, published_at, created_at)
         SELECT id, 'dispatch', gen_random_uuid(), 'tasks', 'tasks.low', '{}', updated_at, updated_at FROM t`,
        [from + 1, Math.min(from + chunk, TASKS), TASKS],
      );
    }
    await db.query(`INSERT INTO outbox (task_id, kind, message_id, exchange, routing_key, body)
                    SELECT id, 'dispatch', gen_random_uuid(), 'tasks', 'tasks.low', '{}' FROM tasks WHERE status = 'NEW'`);
    console.log(`seeded in ${((now() - t0) / 1000) | 0} s (tasks, their timeline events, outbox rows)`);
    t0 = now();
    await db.query('VACUUM ANALYZE tasks');
    await db.query('VACUUM ANALYZE outbox');
    console.log(`vacuum analyze in ${((now() - t0) / 1000) | 0} s`);
    await db.query(FOLD_TASK_COUNTS, [1_000_000]);
    await db.query('VACUUM ANALYZE task_count_deltas');

    const lines = [];
    lines.push(['old: count(*) over tasks', await median(() => db.query(OLD_COUNT), 3)]);
    lines.push(['new: counts, all folded', await median(() => db.query(COUNT_TASKS_BY_STATUS_AND_PRIORITY))]);
    // Deltas as a busy minute leaves them between two folds: one row per statement that changed a count.
    await db.query(
      `INSERT INTO task_count_deltas (status, priority, delta)
       SELECT (enum_range(NULL::task_status))[1 + i % 7], (enum_range(NULL::task_priority))[1 + i % 3], CASE WHEN i % 2 = 0 THEN 1 ELSE -1 END
       FROM generate_series(1, $1) i`,
      [DELTAS],
    );
    lines.push([`new: counts, ${DELTAS.toLocaleString('en')} deltas not folded`, await median(() => db.query(COUNT_TASKS_BY_STATUS_AND_PRIORITY))]);
    lines.push(['outbox backlog', await median(() => db.query(OUTBOX_BACKLOG))]);
    lines.push(['oldest PENDING per priority', await median(() => db.query(OLDEST_PENDING_BY_PRIORITY))]);
    await explain(db, `stats: task counts (${DELTAS} deltas not folded)`, COUNT_TASKS_BY_STATUS_AND_PRIORITY);
    await explain(db, 'stats: outbox backlog', OUTBOX_BACKLOG);
    await explain(db, 'stats: oldest PENDING per priority', OLDEST_PENDING_BY_PRIORITY);
    await explain(db, 'before: count(*) over tasks', OLD_COUNT);
    t0 = now();
    await db.query(FOLD_TASK_COUNTS, [10_000]);
    lines.push([`fold of ${DELTAS.toLocaleString('en')} deltas`, now() - t0]);

    // Write costs of the counting (and timeline) triggers: the create statement and a one-row status UPDATE,
    // with and without them, 8 connections.
    const create = () => {
      return db.query(INSERT_TASKS_WITH_OUTBOX, [JSON.stringify([benchTaskRow()])]);
    };
    const rate = async (n, work) => {
      const start = now();
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next++ < n) await work();
        }),
      );
      return n / ((now() - start) / 1000);
    };
    const { rows: movable } = await db.query("SELECT id FROM tasks WHERE status = 'PENDING' LIMIT 6000");
    const claims = movable.length;
    let claimed = 0;
    let progressed = 0;
    const claim = () => db.query("UPDATE tasks SET status = 'IN_PROGRESS', updated_at = now() WHERE id = $1", [movable[claimed++].id]);
    const progress = () => db.query('UPDATE tasks SET progress = 50, updated_at = now() WHERE id = $1', [movable[progressed++ % claims].id]);
    // Interleaved, three rounds each, median: the machine is shared and noisy.
    const results = { create: { with: [], without: [] }, status: { with: [], without: [] }, progress: { with: [], without: [] } };
    const rounds = 3;
    const perRound = Math.floor(claims / (2 * rounds));
    for (let round = 0; round < rounds; round++) {
      for (const mode of ['with', 'without']) {
        if (mode === 'without') await db.query('ALTER TABLE tasks DISABLE TRIGGER tasks_after_insert, DISABLE TRIGGER tasks_after_update');
        results.create[mode].push(await rate(1000, create));
        results.status[mode].push(await rate(perRound, claim));
        results.progress[mode].push(await rate(1000, progress));
        if (mode === 'without') await db.query('ALTER TABLE tasks ENABLE TRIGGER tasks_after_insert, ENABLE TRIGGER tasks_after_update');
      }
    }
    const mid = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const writes = [
      ['create statement, with counting and timeline triggers', mid(results.create.with)],
      ['create statement, without', mid(results.create.without)],
      ['status UPDATE (claim), with counting and timeline triggers', mid(results.status.with)],
      ['status UPDATE (claim), without', mid(results.status.without)],
      ['progress UPDATE, with counting and timeline triggers', mid(results.progress.with)],
      ['progress UPDATE, without', mid(results.progress.without)],
    ];

    // Retention: finished tasks older than 30 days, 1,000 a statement, as the relay does.
    const due = (await db.query("SELECT count(*)::int AS n FROM tasks WHERE completed_at < now() - interval '30 days'")).rows[0].n;
    const budget = 20_000;
    t0 = now();
    let deleted = 0;
    while (now() - t0 < budget) {
      const { rowCount } = await db.query(DELETE_FINISHED_TASKS, [30, 1000, ['COMPLETED', 'FAILED', 'CANCELLED']]);
      deleted += rowCount;
      if (rowCount < 1000) break;
    }
    const retentionRate = deleted / ((now() - t0) / 1000);

    console.log('\nwhat                                             time');
    for (const [what, t] of lines) console.log(`${what.padEnd(48)} ${ms(t)}`);
    console.log('\nwhat                                             per second (8 connections)');
    for (const [what, r] of writes) console.log(`${what.padEnd(48)} ${Math.round(r).toLocaleString('en')}`);
    console.log(
      `\nretention: ${deleted.toLocaleString('en')} of ${due.toLocaleString('en')} due finished tasks deleted (with events and outbox rows), ` +
        `${Math.round(retentionRate).toLocaleString('en')} tasks/s`,
    );
  } finally {
    await db?.end();
    if (!KEEP) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

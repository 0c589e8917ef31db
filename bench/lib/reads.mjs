// Reads at scale for `npm run bench`: seeds tasks with SQL, times the API's list and get
// requests, and prints the plans of the SQL the repository sends for them.
import { percentile } from './report.mjs';

/**
 * Appends tasks up to `total` in the tasks table: 70 % noop, 20 % http, 9 % email, 1 % report;
 * a third each of LOW, MEDIUM, HIGH; 90 % COMPLETED, 3 % FAILED, 2 % CANCELLED, 2 % PENDING,
 * 1 % each of NEW, IN_PROGRESS, RETRYING; created over the last 60 days. The insert trigger
 * (timeline rows and count deltas) is off while it seeds, as the reads measured here do not read
 * the timeline; the count deltas of the seeded rows are appended afterwards, so the stats stay
 * exact.
 */
export async function seedTasks(db, total) {
  const { rows } = await db.query('SELECT count(*)::int AS n FROM tasks');
  const have = rows[0].n;
  if (have >= total) return;
  const { rows: before } = await db.query('SELECT status, priority, count(*)::int AS n FROM tasks GROUP BY status, priority');
  await db.query('ALTER TABLE tasks DISABLE TRIGGER tasks_after_insert');
  try {
    const chunk = 100_000;
    for (let from = have + 1; from <= total; from += chunk) {
      await db.query(
        `INSERT INTO tasks (id, type, title, priority, payload, max_attempts, correlation_id, status, attempts,
                            created_at, updated_at, started_at, completed_at)
         SELECT gen_random_uuid(),
                CASE WHEN i % 100 < 70 THEN 'noop' WHEN i % 100 < 90 THEN 'http' WHEN i % 100 < 99 THEN 'email' ELSE 'report' END,
                'bench ' || i, (ARRAY['LOW', 'MEDIUM', 'HIGH']::task_priority[])[1 + i % 3], '{"n":1}', 4, 'bench', s.status, 1,
                now() - a.age, now() - a.age,
                CASE WHEN s.status NOT IN ('NEW', 'PENDING') THEN now() - a.age END,
                CASE WHEN s.status IN ('COMPLETED', 'FAILED', 'CANCELLED') THEN now() - a.age END
         FROM generate_series($1::int, $2::int) i,
              LATERAL (SELECT make_interval(secs => ($3::int - i)::double precision * 5184000 / $3::int) AS age) a,
              LATERAL (SELECT CASE WHEN i % 100 < 90 THEN 'COMPLETED' WHEN i % 100 < 93 THEN 'FAILED' WHEN i % 100 < 95 THEN 'CANCELLED'
                                   WHEN i % 100 < 97 THEN 'PENDING' WHEN i % 100 = 97 THEN 'NEW' WHEN i % 100 = 98 THEN 'IN_PROGRESS'
                                   ELSE 'RETRYING' END::task_status AS status) s`,
        [from, Math.min(from + chunk - 1, total), total],
      );
    }
  } finally {
    await db.query('ALTER TABLE tasks ENABLE TRIGGER tasks_after_insert');
    await db.query(
      `INSERT INTO task_count_deltas (status, priority, delta)
       SELECT t.status, t.priority, t.n - COALESCE(b.n, 0)
       FROM (SELECT status, priority, count(*)::int AS n FROM tasks GROUP BY status, priority) t
       LEFT JOIN json_to_recordset($1::json) AS b(status task_status, priority task_priority, n int) USING (status, priority)
       WHERE t.n <> COALESCE(b.n, 0)`,
      [JSON.stringify(before)],
    );
  }
  await db.query('VACUUM ANALYZE tasks');
}

/** The API's opaque cursor for a position (base64url of [created_at as Postgres text, id]). */
export function cursorFor(createdAt, id) {
  return Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');
}

/**
 * The reads: each an HTTP request and the SQL with parameters the repository sends for it.
 * The deep cursor is the middle of the table.
 */
export async function readCases(db) {
  const { rows: count } = await db.query('SELECT count(*)::int AS n FROM tasks');
  const { rows: mid } = await db.query('SELECT created_at::text AS c, id FROM tasks ORDER BY created_at DESC, id DESC OFFSET $1 LIMIT 1', [
    Math.floor(count[0].n / 2),
  ]);
  const { rows: one } = await db.query('SELECT id FROM tasks OFFSET $1 LIMIT 1', [Math.floor(count[0].n / 3)]);
  return [
    { key: 'list_first', label: 'list, first page', path: '/api/v1/tasks?limit=20', params: [null, null, null, null, null, 21] },
    {
      key: 'list_filtered',
      label: 'list, status=FAILED&priority=HIGH',
      path: '/api/v1/tasks?limit=20&status=FAILED&priority=HIGH',
      params: [['FAILED'], ['HIGH'], null, null, null, 21],
    },
    {
      key: 'list_rare',
      label: 'list, status=FAILED&type=report (no match)',
      path: '/api/v1/tasks?limit=20&status=FAILED&type=report',
      params: [['FAILED'], null, ['report'], null, null, 21],
    },
    {
      key: 'list_deep',
      label: 'list, cursor mid-table',
      path: `/api/v1/tasks?limit=20&cursor=${cursorFor(mid[0].c, mid[0].id)}`,
      params: [null, null, null, mid[0].c, mid[0].id, 21],
    },
    { key: 'get', label: 'get by id', path: `/api/v1/tasks/${one[0].id}`, get: true, params: [one[0].id] },
  ];
}

/**
 * Median and p99 latency of each read at two table sizes, interleaved: request i at one size,
 * then at the other (which goes first alternates), so the noise of a shared machine falls on both
 * alike. `run(size, case)` performs one read; `casesBySize` holds each size's cases (their ids and
 * cursors differ), with the same keys in the same order.
 */
export async function timeInterleaved(casesBySize, run, requests) {
  const sizes = Object.keys(casesBySize);
  const out = Object.fromEntries(sizes.map((size) => [size, {}]));
  for (let k = 0; k < casesBySize[sizes[0]].length; k++) {
    const latencies = Object.fromEntries(sizes.map((size) => [size, []]));
    for (const size of sizes) for (let i = 0; i < 3; i++) await run(size, casesBySize[size][k]);
    for (let i = 0; i < requests; i++) {
      for (const size of i % 2 === 0 ? sizes : [...sizes].reverse()) {
        const t0 = performance.now();
        await run(size, casesBySize[size][k]);
        latencies[size].push(performance.now() - t0);
      }
    }
    for (const size of sizes) {
      out[size][casesBySize[size][k].key] = { p50: percentile(latencies[size], 0.5), p99: percentile(latencies[size], 0.99) };
    }
  }
  return out;
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of each read's SQL with the repository's parameters (second of two
 * runs, so the cache is warm), and the shared buffers its top node touched: the work it did, which
 * unlike a timing does not depend on the machine's load.
 */
export async function explainReads(db, cases, sql) {
  const plans = {};
  const buffers = {};
  for (const c of cases) {
    const text = `EXPLAIN (ANALYZE, BUFFERS) ${c.get ? sql.get : sql.list}`;
    await db.query(text, c.params);
    const { rows } = await db.query(text, c.params);
    const lines = rows.map((r) => r['QUERY PLAN']);
    plans[c.key] = lines.join('\n');
    const top = lines.find((line) => /^\s*Buffers: shared/.test(line)) ?? '';
    buffers[c.key] = ['hit', 'read'].reduce((sum, kind) => sum + Number(new RegExp(`${kind}=(\\d+)`).exec(top)?.[1] ?? 0), 0);
  }
  return { plans, buffers };
}

import type { INestApplicationContext } from '@nestjs/common';
import request from 'supertest';
import { MaintenanceService } from '../../apps/relay/src/maintenance.service.js';
import { COUNT_TASKS_BY_STATUS_AND_PRIORITY } from '../../libs/database/src/sql/task-stats.sql.js';
import { type ApiUnderTest, Suite, eventually } from './support/suite.js';

type Counts = Record<string, Record<string, number>>;

/**
 * Tables that do not grow for ever: finished tasks and their timelines after
 * TASK_RETENTION_DAYS, published and given-up outbox rows, idempotency keys; clean-ups that
 * catch up in one run however far behind they are; and task counts that GET /tasks/stats
 * reads without counting the tasks table, yet always equal count(*).
 */
describe('retention and task counts', () => {
  let suite: Suite;
  let api: ApiUnderTest;
  let relay: INestApplicationContext;
  let maintenance: MaintenanceService;

  const http = () => request(api.getHttpServer());
  const create = async (body: Record<string, unknown>) => (await http().post('/api/v1/tasks').send(body).expect(201)).body;
  const until = (id: string, status: string) =>
    eventually(async () => ((await suite.taskStatus(id)) === status ? true : undefined), 20_000, `task ${id} to be ${status}`);

  /** count(*) of the tasks table, by status and priority, in the shape of the stats. */
  const counted = async (): Promise<Counts> => {
    const { rows } = await suite.sql.query<{ status: string; priority: string; n: number }>(
      'SELECT status, priority, count(*)::int AS n FROM tasks GROUP BY status, priority',
    );
    const counts: Counts = {};
    for (const r of rows) (counts[r.status] ??= {})[r.priority] = r.n;
    return counts;
  };
  /** The stats' task counts, without the zeros. */
  const reported = async (): Promise<Counts> => {
    const tasks = (await http().get('/api/v1/tasks/stats').expect(200)).body.tasks as Counts;
    const counts: Counts = {};
    for (const [status, byPriority] of Object.entries(tasks)) {
      for (const [priority, n] of Object.entries(byPriority)) if (n !== 0) (counts[status] ??= {})[priority] = n;
    }
    return counts;
  };
  /** The stats through the API equal count(*): for moments when no task moves. */
  const expectCountsExact = async () => expect(await reported()).toEqual(await counted());
  /**
   * The stats query equals count(*) in one snapshot (REPEATABLE READ): exact at any moment,
   * also while a worker moves tasks and the relay folds.
   */
  const expectCountsExactInOneSnapshot = async () => {
    const client = await suite.pgClient();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      const fromCounts = await client.query<{ status: string; priority: string; count: number }>(COUNT_TASKS_BY_STATUS_AND_PRIORITY);
      const fromTable = await client.query<{ status: string; priority: string; count: number }>(
        'SELECT status, priority, count(*)::int AS count FROM tasks GROUP BY status, priority',
      );
      await client.query('COMMIT');
      const key = (r: { status: string; priority: string; count: number }) => `${r.status}/${r.priority}=${r.count}`;
      expect(fromCounts.rows.map(key).sort()).toEqual(fromTable.rows.map(key).sort());
    } finally {
      await client.end();
    }
  };

  /** `n` tasks written straight into the table, finished `daysAgo` days ago (no outbox row: they never ran). */
  const finishedTasks = async (n: number, status: string, daysAgo: number, title: string): Promise<string[]> => {
    const { rows } = await suite.sql.query<{ id: string }>(
      `INSERT INTO tasks (id, type, title, max_attempts, correlation_id, status, attempts, completed_at, priority)
       SELECT gen_random_uuid(), 'noop', $4, 1, 'retention', $2::task_status, 1, now() - make_interval(days => $3),
              (ARRAY['LOW', 'MEDIUM', 'HIGH']::task_priority[])[1 + i % 3]
       FROM generate_series(1, $1) i
       RETURNING id`,
      [n, status, daysAgo, title],
    );
    return rows.map((r) => r.id);
  };

  beforeAll(async () => {
    suite = await Suite.create('retention', { TASK_RETENTION_DAYS: '30', OUTBOX_RETENTION_HOURS: '24' });
    api = await suite.startApi();
    // The relay runs retention once at start, then every minute. A sentinel task due for
    // deletion tells when that first run is through, so the runs the tests make are alone.
    const [sentinel] = await finishedTasks(1, 'COMPLETED', 365, 'sentinel');
    relay = await suite.startRelay();
    maintenance = relay.get(MaintenanceService);
    await eventually(async () => (await suite.taskStatus(sentinel)) === undefined, 20_000, "the relay's first retention run");
  });

  afterAll(async () => {
    await suite.teardown();
  });

  it('deletes exactly the tasks that finished more than TASK_RETENTION_DAYS ago, with their timelines and outbox rows', async () => {
    const old = [
      ...(await finishedTasks(2, 'COMPLETED', 31, 'old')),
      ...(await finishedTasks(2, 'FAILED', 45, 'old')),
      ...(await finishedTasks(2, 'CANCELLED', 365, 'old')),
    ];
    const recent = [...(await finishedTasks(2, 'COMPLETED', 29, 'recent')), ...(await finishedTasks(1, 'FAILED', 1, 'recent'))];
    // Unfinished tasks, however old, are never deleted (completed_at is not theirs to have, but
    // a stale one must not make them eligible either).
    const { rows: unfinished } = await suite.sql.query<{ id: string }>(
      `INSERT INTO tasks (id, type, title, max_attempts, correlation_id, status, created_at, updated_at, completed_at)
       SELECT gen_random_uuid(), 'noop', 'unfinished', 1, 'retention', s, now() - interval '400 days', now() - interval '400 days', now() - interval '400 days'
       FROM unnest(ARRAY['NEW', 'PENDING', 'IN_PROGRESS', 'RETRYING']::task_status[]) s
       RETURNING id`,
    );
    const keep = [...recent, ...unfinished.map((r) => r.id)];
    // An old finished task's dead-letter copy, and a live task's dispatch row.
    await suite.sql.query(
      `INSERT INTO outbox (task_id, kind, message_id, exchange, routing_key, body)
       SELECT id, 'dead-letter', gen_random_uuid(), 'tasks.dlx', '', '{}' FROM unnest($1::uuid[]) id`,
      [[old[0], keep[0]]],
    );
    const eventsOf = async (ids: string[]) =>
      (await suite.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM task_events WHERE task_id = ANY($1)', [ids])).rows[0].n;
    expect(await eventsOf(old)).toBe(old.length);

    const run = await maintenance.retentionRun();

    expect(run.finishedTasks).toEqual({ deleted: old.length, caughtUp: true });
    const { rows: left } = await suite.sql.query<{ id: string }>('SELECT id FROM tasks WHERE id = ANY($1)', [[...old, ...keep]]);
    expect(left.map((r) => r.id).sort()).toEqual([...keep].sort());
    expect(await eventsOf(old)).toBe(0);
    expect(await eventsOf(keep)).toBe(keep.length);
    const { rows: outbox } = await suite.sql.query<{ task_id: string }>('SELECT task_id FROM outbox WHERE task_id = ANY($1)', [[old[0], keep[0]]]);
    expect(outbox.map((r) => r.task_id)).toEqual([keep[0]]);
    await expectCountsExact();
    await suite.sql.query('DELETE FROM tasks WHERE id = ANY($1)', [keep]);
  });

  it('keeps finished tasks for ever with TASK_RETENTION_DAYS=0', async () => {
    const keeper = await suite.startRelay({ TASK_RETENTION_DAYS: '0' });
    try {
      const ancient = await finishedTasks(3, 'COMPLETED', 3650, 'ancient');

      const run = await keeper.get(MaintenanceService).retentionRun();

      expect(run.finishedTasks).toEqual({ deleted: 0, caughtUp: true });
      const { rows } = await suite.sql.query('SELECT id FROM tasks WHERE id = ANY($1)', [ancient]);
      expect(rows).toHaveLength(3);
      await suite.sql.query('DELETE FROM tasks WHERE id = ANY($1)', [ancient]);
    } finally {
      await suite.stop(keeper);
    }
  });

  it('catches up in one run when each clean-up has several batches to delete', async () => {
    const batches = 2.5; // the relay deletes 1,000 rows a statement
    const n = 1_000 * batches;
    await finishedTasks(n, 'COMPLETED', 40, 'backlog');
    const { rows: live } = await suite.sql.query<{ id: string }>(
      `INSERT INTO tasks (id, type, title, max_attempts, correlation_id, status)
       VALUES (gen_random_uuid(), 'noop', 'outbox owner', 1, 'retention', 'PENDING') RETURNING id`,
    );
    await suite.sql.query(
      `INSERT INTO outbox (task_id, kind, message_id, exchange, routing_key, body, published_at, failed_at)
       SELECT $1, 'dispatch', gen_random_uuid(), 'tasks', 'x', '{}',
              CASE WHEN i % 2 = 0 THEN now() - interval '25 hours' END,
              CASE WHEN i % 2 = 1 THEN now() - interval '25 hours' END
       FROM generate_series(1, $2 * 2) i`,
      [live[0].id, n],
    );
    await suite.sql.query(
      `INSERT INTO idempotency_keys (scope, key, request_hash, created_at)
       SELECT 'retention-test', 'key-' || i, repeat('0', 64), now() - interval '25 hours' FROM generate_series(1, $1) i`,
      [n],
    );

    const deleted = await maintenance.retain();

    expect(deleted).toBe(4 * n);
    const left = await suite.sql.query<{ outbox: number; keys: number; tasks: number }>(
      `SELECT (SELECT count(*)::int FROM outbox WHERE task_id = $1) AS outbox,
              (SELECT count(*)::int FROM idempotency_keys WHERE scope = 'retention-test') AS keys,
              (SELECT count(*)::int FROM tasks WHERE title = 'backlog') AS tasks`,
      [live[0].id],
    );
    expect(left.rows[0]).toEqual({ outbox: 0, keys: 0, tasks: 0 });
    await suite.sql.query('DELETE FROM tasks WHERE id = $1', [live[0].id]);
  });

  it('keeps a given-up outbox row younger than OUTBOX_RETENTION_HOURS', async () => {
    const { rows } = await suite.sql.query<{ id: string }>(
      `INSERT INTO tasks (id, type, title, max_attempts, correlation_id, status, completed_at)
       VALUES (gen_random_uuid(), 'noop', 'gave up', 1, 'retention', 'FAILED', now()) RETURNING id`,
    );
    await suite.sql.query(
      `INSERT INTO outbox (task_id, kind, message_id, exchange, routing_key, body, failed_at)
       VALUES ($1, 'dispatch', gen_random_uuid(), 'tasks', 'x', '{}', now() - interval '23 hours'),
              ($1, 'dispatch', gen_random_uuid(), 'tasks', 'x', '{}', now() - interval '25 hours')`,
      [rows[0].id],
    );

    await maintenance.retentionRun();

    const { rows: left } = await suite.sql.query<{ age: number }>(
      'SELECT round(EXTRACT(EPOCH FROM now() - failed_at) / 3600)::int AS age FROM outbox WHERE task_id = $1',
      [rows[0].id],
    );
    expect(left).toEqual([{ age: 23 }]);
    await suite.sql.query('DELETE FROM tasks WHERE id = $1', [rows[0].id]);
  });

  it('reports counts equal to count(*) through creates, runs, failures, cancels, a user retry and retention', async () => {
    await expectCountsExact();
    const worker = await suite.startWorker({ RETRY_DELAYS_SECONDS: '1' });
    try {
      const done = await Promise.all([1, 2, 3].map((i) => create({ title: `done ${i}`, priority: (['LOW', 'MEDIUM', 'HIGH'] as const)[i - 1] })));
      const batch = (
        await http()
          .post('/api/v1/tasks/batch')
          .send({ tasks: [{ title: 'b1' }, { title: 'b2', priority: 'HIGH' }] })
          .expect(201)
      ).body;
      const doomed = await create({ title: 'doomed', type: 'fail', maxAttempts: 1, payload: { permanent: true } });
      const later = await create({ title: 'later', runAt: new Date(Date.now() + 3_600_000).toISOString() });
      await expectCountsExactInOneSnapshot();

      const running = [...done, ...batch.tasks, doomed];
      while ((await suite.sql.query('SELECT 1 FROM tasks WHERE id = ANY($1) AND completed_at IS NULL', [running.map((t) => t.id)])).rowCount) {
        await expectCountsExactInOneSnapshot(); // while the worker moves them
      }
      for (const t of [...done, ...batch.tasks]) await until(t.id, 'COMPLETED');
      await until(doomed.id, 'FAILED');
      await http().delete(`/api/v1/tasks/${later.id}`).expect(200);
      await expectCountsExact();

      await http().post(`/api/v1/tasks/${doomed.id}/retry`).expect(202);
      await expectCountsExactInOneSnapshot();
      await until(doomed.id, 'FAILED');
      await expectCountsExact();

      // Folded or not, the sum is the same.
      await maintenance.foldCounts();
      await expectCountsExact();

      // Retention deletes some of them (as if they had finished long ago).
      await suite.sql.query("UPDATE tasks SET completed_at = now() - interval '31 days' WHERE id = ANY($1)", [[done[0].id, doomed.id]]);
      await maintenance.retentionRun();
      expect(await suite.taskStatus(done[0].id)).toBeUndefined();
      await expectCountsExact();
      await maintenance.foldCounts();
      const { rows } = await suite.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM task_count_deltas');
      expect(rows[0].n).toBe(0);
      await expectCountsExact();
    } finally {
      await suite.stop(worker);
    }
  });

  it('keeps counting right through multi-row statements, a rolled-back transaction and TRUNCATE', async () => {
    await finishedTasks(7, 'FAILED', 2, 'bulk');
    await suite.sql.query("UPDATE tasks SET status = 'NEW', completed_at = NULL WHERE title = 'bulk' AND priority = 'LOW'");
    await expectCountsExact();
    const client = await suite.pgClient();
    try {
      await client.query('BEGIN');
      await client.query("DELETE FROM tasks WHERE title = 'bulk'");
      await client.query('ROLLBACK');
    } finally {
      await client.end();
    }
    await expectCountsExact();
    await suite.sql.query('TRUNCATE tasks CASCADE');
    await expectCountsExact();
    expect(await reported()).toEqual({});
    await finishedTasks(2, 'COMPLETED', 0, 'after truncate');
    await expectCountsExact();
  });
});

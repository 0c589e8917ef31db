import { CLAIM_TASKS } from '../../libs/database/src/sql/claim-task.sql.js';
import { Suite } from './support/suite.js';

/**
 * `claim_tasks` plans its statements once per connection, on its first call. A worker that
 * starts on an empty `tasks` table must not keep plans that read the whole table once it has
 * grown: its claims would cost more with every task created. auto_explain, loaded in the test's
 * own session, reports the plans of the function's statements as notices.
 */
describe('claim_tasks plans on a table that grew after its first call', () => {
  let suite: Suite;

  beforeAll(async () => {
    suite = await Suite.create('claim_plans');
  });
  afterAll(async () => {
    await suite?.teardown();
  });

  it('probes the primary key for its batch instead of reading the table', async () => {
    const client = await suite.sql.connect();
    const plans: string[] = [];
    const onNotice = (notice: { message?: string }) => plans.push(notice.message ?? '');
    try {
      const claim = (ids: string[]) => client.query(CLAIM_TASKS, [ids, ids.map(() => 1), ids.map(() => 'plan-test'), 30, ['PENDING']]);
      // First call on an empty table: the function plans its statements now, for this connection.
      await claim(['00000000-0000-4000-8000-000000000000']);
      await client.query(
        `INSERT INTO tasks (id, type, title, max_attempts, correlation_id, status, attempts)
         SELECT gen_random_uuid(), 'noop', 'plan ' || i, 3, 'plan', 'PENDING', 0 FROM generate_series(1, 20000) i`,
      );
      const { rows } = await client.query<{ id: string }>('SELECT id FROM tasks ORDER BY id LIMIT 3');

      await client.query("LOAD 'auto_explain'");
      await client.query("SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on; SET client_min_messages = 'log'");
      client.on('notice', onNotice);
      const { rows: claimed } = await claim(rows.map((r) => r.id));

      expect(claimed).toHaveLength(3);
      const nested = plans.filter((plan) => /claim_tasks|FOR UPDATE|UPDATE tasks/.test(plan));
      expect(nested.length).toBeGreaterThan(0);
      expect(plans.filter((plan) => /Seq Scan on tasks/.test(plan))).toEqual([]);
    } finally {
      client.removeListener('notice', onNotice);
      client.release(true);
    }
  });
});

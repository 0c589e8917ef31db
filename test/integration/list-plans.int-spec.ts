import { LIST_TASKS } from '../../libs/database/src/sql/list-tasks.sql.js';
import { Suite } from './support/suite.js';

/**
 * The plans Postgres picks for `GET /tasks` filters whose status and type rarely go together.
 * A wrong plan here is not a wrong answer but a page that walks the whole table, so these tests
 * read the plan (EXPLAIN with the repository's SQL and parameters) on a table large enough for
 * the planner to care: 60,000 tasks, where tasks of type `report` are all RETRYING.
 */
interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

const nodes = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodes)];

describe('list plans for rare status and type combinations', () => {
  let suite: Suite;
  const rows = 60_000;

  beforeAll(async () => {
    suite = await Suite.create('list_plans');
    await suite.sql.query(
      `INSERT INTO tasks (id, type, title, priority, payload, max_attempts, correlation_id, status, attempts, created_at, updated_at, completed_at)
       SELECT gen_random_uuid(),
              CASE WHEN i % 100 < 80 THEN 'noop' WHEN i % 100 < 99 THEN 'email' ELSE 'report' END,
              'plan ' || i, 'LOW', '{}', 3, 'plan',
              CASE WHEN i % 100 = 99 THEN 'RETRYING' WHEN i % 100 < 93 THEN 'COMPLETED' WHEN i % 100 < 96 THEN 'FAILED' ELSE 'CANCELLED' END::task_status,
              1, now() - make_interval(secs => ($1::int - i)), now(),
              CASE WHEN i % 100 <> 99 THEN now() END
       FROM generate_series(1, $1::int) i`,
      [rows],
    );
    await suite.sql.query('ANALYZE tasks');
  });
  afterAll(async () => {
    await suite?.teardown();
  });

  const plan = async (statuses: string[] | null, types: string[] | null): Promise<PlanNode[]> => {
    const { rows: result } = await suite.sql.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${LIST_TASKS}`, [
      statuses,
      null,
      types,
      null,
      null,
      21,
    ]);
    return nodes(result[0]['QUERY PLAN'][0].Plan);
  };

  it('pages FAILED tasks of a type from the partial index of failed and cancelled tasks', async () => {
    const used = await plan(['FAILED'], ['report']);
    expect(used.map((n) => n['Index Name']).filter(Boolean)).toContain('tasks_failed_type_list_idx');
  });

  it('answers FAILED or CANCELLED tasks of a type that has none without reading other tasks', async () => {
    const used = await plan(['FAILED', 'CANCELLED'], ['report']);
    expect(used.map((n) => n['Index Name']).filter(Boolean)).toEqual(['tasks_failed_type_list_idx']);
    expect(used.reduce((sum, n) => sum + (n['Rows Removed by Filter'] ?? 0), 0)).toBe(0);
  });

  it('does not walk the table newest first for a status and a type that never go together', async () => {
    // Without the joint statistics of status and type, the planner expects about 500 COMPLETED
    // `report` tasks and reads tasks_list_idx until it has 21 of them: every row of the table.
    const used = await plan(['COMPLETED'], ['report']);
    const removed = used.reduce((sum, n) => sum + (n['Rows Removed by Filter'] ?? 0), 0);
    expect(used.map((n) => n['Index Name'])).not.toContain('tasks_list_idx');
    expect(removed).toBeLessThan(rows / 10);
  });

  it('still pages a common combination from the list index, stopping after one page', async () => {
    const used = await plan(['COMPLETED'], ['noop']);
    const scan = used.find((n) => n['Index Name'] === 'tasks_list_idx' || n['Index Name'] === 'tasks_status_list_idx');
    expect(scan).toBeDefined();
    expect(scan?.['Actual Rows']).toBe(21);
  });
});

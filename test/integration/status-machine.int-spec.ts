import { randomUUID } from 'node:crypto';
import { ILLEGAL_STATUS_TRANSITION_SQLSTATE } from '#database';
import { TASK_STATUSES, type TaskStatus, TaskStatusMachine } from '#tasks';
import { Suite } from './support/suite.js';

/**
 * Postgres enforces the status machine: its table of transitions is the TypeScript table, and
 * the trigger refuses every other status change, whoever writes it.
 */
describe('status machine in the database', () => {
  let suite: Suite;

  beforeAll(async () => {
    suite = await Suite.create('statusmachine');
  });

  afterAll(async () => {
    await suite.teardown();
  });

  const key = ([from, to]: [string, string]) => `${from} → ${to}`;

  /** A task row written straight in `status` (INSERT is not a transition). */
  const taskIn = async (status: TaskStatus): Promise<string> => {
    const id = randomUUID();
    await suite.sql.query(
      `INSERT INTO tasks (id, type, title, max_attempts, correlation_id, status, attempts, completed_at)
       VALUES ($1, 'noop', 'status machine', 3, 'status-machine', $2::task_status, 1,
               CASE WHEN $2::task_status IN ('COMPLETED', 'FAILED', 'CANCELLED') THEN now() END)`,
      [id, status],
    );
    return id;
  };

  const refusal = async (statement: Promise<unknown>): Promise<{ code?: string; message: string } | null> => {
    try {
      await statement;
      return null;
    } catch (error) {
      return error as { code?: string; message: string };
    }
  };

  it('holds exactly the pairs of the TypeScript table, both ways', async () => {
    const { rows } = await suite.sql.query<{ from_status: string; to_status: string }>('SELECT from_status, to_status FROM task_status_transitions');
    const inDatabase = rows.map((r) => key([r.from_status, r.to_status])).sort();
    const inCode = TaskStatusMachine.transitions().map(key).sort();

    expect(inDatabase.filter((pair) => !inCode.includes(pair))).toEqual([]);
    expect(inCode.filter((pair) => !inDatabase.includes(pair))).toEqual([]);
    expect(inDatabase).toHaveLength(inCode.length);
  });

  const everyPair: [TaskStatus, TaskStatus][] = TASK_STATUSES.flatMap((from) => TASK_STATUSES.map((to): [TaskStatus, TaskStatus] => [from, to]));
  const illegal = everyPair.filter(([from, to]) => !TaskStatusMachine.canTransition(from, to));
  const legal = everyPair.filter(([from, to]) => TaskStatusMachine.canTransition(from, to));

  it.each(illegal)('refuses a raw UPDATE from %s to %s, naming both statuses and the task', async (from, to) => {
    const id = await taskIn(from);

    const error = await refusal(suite.sql.query('UPDATE tasks SET status = $2 WHERE id = $1', [id, to]));

    expect(error?.code).toBe(ILLEGAL_STATUS_TRANSITION_SQLSTATE);
    expect(error?.message).toContain(`${from} → ${to}`);
    expect(error?.message).toContain(id);
    expect(await suite.taskStatus(id)).toBe(from);
  });

  it.each(legal)('lets a raw UPDATE go from %s to %s', async (from, to) => {
    const id = await taskIn(from);

    await suite.sql.query('UPDATE tasks SET status = $2 WHERE id = $1', [id, to]);

    expect(await suite.taskStatus(id)).toBe(to);
  });

  it('refuses writing a terminal status over itself, even when the value does not change', async () => {
    const id = await taskIn('COMPLETED' as TaskStatus);

    const error = await refusal(suite.sql.query("UPDATE tasks SET status = 'COMPLETED', result = '{\"again\":true}' WHERE id = $1", [id]));

    expect(error?.code).toBe(ILLEGAL_STATUS_TRANSITION_SQLSTATE);
    const { rows } = await suite.sql.query('SELECT result FROM tasks WHERE id = $1', [id]);
    expect(rows[0].result).toBeNull();
  });

  it('refuses a whole statement when one of its rows would move illegally', async () => {
    const queued = await taskIn('PENDING' as TaskStatus);
    const finished = await taskIn('FAILED' as TaskStatus);

    const error = await refusal(suite.sql.query("UPDATE tasks SET status = 'CANCELLED' WHERE id = ANY($1)", [[queued, finished]]));

    expect(error?.code).toBe(ILLEGAL_STATUS_TRANSITION_SQLSTATE);
    expect(await suite.taskStatus(queued)).toBe('PENDING');
    expect(await suite.taskStatus(finished)).toBe('FAILED');
  });

  it('refuses an illegal write from inside a PL/pgSQL body (claim_task told COMPLETED is claimable)', async () => {
    const id = await taskIn('COMPLETED' as TaskStatus);

    const error = await refusal(suite.sql.query("SELECT * FROM claim_task($1, 2, 'rogue', 30, ARRAY['COMPLETED']::task_status[])", [id]));

    expect(error?.code).toBe(ILLEGAL_STATUS_TRANSITION_SQLSTATE);
    expect(await suite.taskStatus(id)).toBe('COMPLETED');
  });

  it('lets an UPDATE that does not name the status through, whatever the status', async () => {
    const id = await taskIn('COMPLETED' as TaskStatus);

    await suite.sql.query("UPDATE tasks SET title = 'renamed' WHERE id = $1", [id]);

    const { rows } = await suite.sql.query('SELECT title, status FROM tasks WHERE id = $1', [id]);
    expect(rows[0]).toEqual({ title: 'renamed', status: 'COMPLETED' });
  });
});

import type { Suite } from './suite.js';

const TERMINAL = ['COMPLETED', 'FAILED', 'CANCELLED'];

/** What the checker counts after a fault, in the manner of the RabbitMQ team's Jepsen checker. */
export interface Audit {
  accepted: number;
  /** Accepted (201) but not terminal. Must be 0. */
  lost: string[];
  /** Tasks whose terminal status was written more than once. Must be empty. */
  terminalWrittenTwice: string[];
  /** Extra runs: claims beyond one per attempt. Allowed only after a worker died. */
  duplicatedRuns: number;
  byStatus: Record<string, number>;
  queueDepths: Record<string, number>;
  unpublishedOutboxRows: number;
}

/** Counts lost, duplicated and double-finished tasks among `ids`, and what is left in queues and outbox. */
export async function audit(suite: Suite, ids: string[]): Promise<Audit> {
  const { rows: tasks } = await suite.sql.query<{ id: string; status: string }>('SELECT id, status FROM tasks WHERE id = ANY($1)', [ids]);
  const statusOf = new Map(tasks.map((t) => [t.id, t.status]));
  const { rows: finals } = await suite.sql.query<{ task_id: string; n: number }>(
    `SELECT task_id, count(*)::int AS n FROM task_events WHERE task_id = ANY($1) AND status = ANY($2::task_status[]) GROUP BY task_id`,
    [ids, TERMINAL],
  );
  const { rows: runs } = await suite.sql.query<{ task_id: string; runs: number; attempts: number }>(
    `SELECT task_id, count(*)::int AS runs, count(DISTINCT attempt)::int AS attempts
     FROM task_events WHERE task_id = ANY($1) AND status = 'IN_PROGRESS' GROUP BY task_id`,
    [ids],
  );
  const { rows: outbox } = await suite.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL AND failed_at IS NULL');
  const byStatus: Record<string, number> = {};
  for (const status of statusOf.values()) byStatus[status] = (byStatus[status] ?? 0) + 1;
  const queueDepths: Record<string, number> = {};
  for (const queue of ['tasks.high', 'tasks.medium', 'tasks.low']) queueDepths[queue] = await suite.queueDepth(queue);
  return {
    accepted: ids.length,
    lost: ids.filter((id) => !TERMINAL.includes(statusOf.get(id) ?? '')),
    terminalWrittenTwice: finals.filter((f) => f.n > 1).map((f) => f.task_id),
    duplicatedRuns: runs.reduce((sum, r) => sum + (r.runs - r.attempts), 0) + runs.reduce((sum, r) => sum + Math.max(0, r.attempts - 1), 0),
    byStatus,
    queueDepths,
    unpublishedOutboxRows: outbox[0].n,
  };
}

/** Waits until every task among `ids` is terminal. */
export async function allTerminal(suite: Suite, ids: string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await suite.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM tasks WHERE id = ANY($1) AND status = ANY($2::task_status[])', [
      ids,
      TERMINAL,
    ]);
    if (rows[0].n === ids.length) return;
    if (Date.now() > deadline) {
      const { rows: left } = await suite.sql.query('SELECT status, count(*)::int AS n FROM tasks WHERE id = ANY($1) GROUP BY status', [ids]);
      throw new Error(`not all tasks are terminal after ${timeoutMs} ms: ${JSON.stringify(left)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { type Claim, type Finish, type SqlExecutor, TaskExecutionRepository } from '#database';
import { ATTEMPT_HEADER, deadLetterMessage, dispatchMessage, retryMessage } from '#messaging';
import { MetricsService } from '#observability';
import { TaskPriority } from '#tasks';
import { COUNT_TASKS_BY_STATUS_AND_PRIORITY } from '../../libs/database/src/sql/task-stats.sql.js';
import { Suite, eventually } from './support/suite.js';
import { TEST_GATE, TEST_HANDLERS } from './support/test-handlers.js';

/**
 * Claims and outcomes written in batches: each row of a batch statement matches or is fenced on
 * its own, a row Postgres refuses or the status machine refuses does not fail its neighbours, and
 * a message is acknowledged only after the statement that wrote its outcome committed.
 */
describe('worker batches', () => {
  let suite: Suite;
  const repository = new TaskExecutionRepository();
  const db = (): SqlExecutor => suite.sql;

  beforeAll(async () => {
    // A heartbeat every 200 s: none runs while a test holds a row or moves a lease by hand.
    suite = await Suite.create('worker_batches', { TASK_LEASE_SECONDS: '600' });
  });

  afterAll(async () => {
    await suite?.teardown();
  });

  /** A task row as the relay leaves it: PENDING (or `status`), attempts as given. */
  const insertTask = async (fields: { status?: string; attempts?: number; lockedBy?: string; lockedUntil?: string; type?: string; payload?: unknown } = {}) => {
    const id = randomUUID();
    await suite.sql.query(
      `INSERT INTO tasks (id, type, title, payload, status, attempts, max_attempts, correlation_id)
       VALUES ($1::uuid, $2, 'batch', $3, 'NEW', 0, 3, $1::text)`,
      [id, fields.type ?? 'noop', fields.payload ?? {}],
    );
    // Through the status machine, as the relay and a worker would move it.
    await suite.sql.query(`UPDATE tasks SET status = 'PENDING' WHERE id = $1`, [id]);
    if (fields.status && fields.status !== 'PENDING') {
      await suite.sql.query(
        `UPDATE tasks SET status = 'IN_PROGRESS', attempts = $2, locked_by = $3,
           locked_until = now() + ($4::text)::interval, started_at = now() WHERE id = $1`,
        [id, fields.attempts ?? 1, fields.lockedBy ?? `elsewhere:${randomUUID()}`, fields.lockedUntil ?? '60 seconds'],
      );
      if (fields.status !== 'IN_PROGRESS')
        await suite.sql.query(`UPDATE tasks SET status = $2::task_status, locked_by = NULL WHERE id = $1`, [id, fields.status]);
    }
    return id;
  };
  const row = async (id: string) =>
    (await suite.sql.query('SELECT status, attempts, locked_by, result, error, next_retry_at FROM tasks WHERE id = $1', [id])).rows[0];
  const outboxOf = async (id: string) => (await suite.sql.query('SELECT kind, message_id FROM outbox WHERE task_id = $1 ORDER BY id', [id])).rows;
  const claimOf = (taskId: string, attempt = 1): Claim => ({ taskId, attempt, token: `test:${randomUUID()}` });

  describe('the batch claim statement', () => {
    it('claims each row on its own: a duplicate, a live lease elsewhere, a finished and a cancelled task match nothing', async () => {
      const waiting = await insertTask();
      const held = await insertTask({ status: 'IN_PROGRESS', attempts: 1 });
      const expired = await insertTask({ status: 'IN_PROGRESS', attempts: 1, lockedUntil: '-1 second' });
      const finished = await insertTask({ status: 'COMPLETED' });
      const cancelled = await insertTask({ status: 'CANCELLED' });
      const claims = [claimOf(waiting), claimOf(waiting), claimOf(held), claimOf(expired), claimOf(finished), claimOf(cancelled)];

      const claimed = await repository.claimMany(db(), claims, 30);

      // The first claim of `waiting` wins; the second finds its live lease. The expired lease is taken over.
      expect([...claimed.keys()].sort()).toEqual([claims[0].token, claims[3].token].sort());
      expect(claimed.get(claims[0].token)).toMatchObject({ id: waiting, status: 'IN_PROGRESS', attempts: 1, locked_by: claims[0].token });
      expect(claimed.get(claims[3].token)).toMatchObject({ id: expired, status: 'IN_PROGRESS', attempts: 2, locked_by: claims[3].token });
      expect(await row(held)).toMatchObject({ status: 'IN_PROGRESS', attempts: 1 });
      expect((await row(held)).locked_by).not.toBe(claims[2].token);
      expect(await row(finished)).toMatchObject({ status: 'COMPLETED' });
      expect(await row(cancelled)).toMatchObject({ status: 'CANCELLED' });
    });

    it('answers each delivery of a mixed batch on its own, and keeps the counts and the timeline exact', async () => {
      const waiting = [await insertTask(), await insertTask(), await insertTask()];
      const stale = await insertTask(); // waits for attempt 1; the delivery says 3
      const cancelled = await insertTask({ status: 'CANCELLED' });
      const running = await insertTask({ status: 'IN_PROGRESS', attempts: 1 });
      const expired = await insertTask({ status: 'IN_PROGRESS', attempts: 1, lockedUntil: '-1 second' });
      const missing = randomUUID();
      const all = [...waiting, stale, cancelled, running, expired];
      const claims = [
        claimOf(waiting[2]),
        claimOf(stale, 3),
        claimOf(waiting[0]),
        claimOf(cancelled),
        claimOf(running),
        claimOf(waiting[0]), // a second copy of a delivery in the same batch
        claimOf(expired),
        claimOf(missing),
        claimOf(waiting[1]),
        claimOf(running, 2), // the next attempt of a task whose lease is live
      ];
      const claimed = await repository.claimMany(db(), claims, 30);

      // Each delivery's answer: the three waiting tasks (the first copy of waiting[0]) and the take-over; nothing else.
      const winners = [claims[0], claims[2], claims[6], claims[8]];
      expect([...claimed.keys()].sort()).toEqual(winners.map((c) => c.token).sort());
      for (const claim of winners.filter((c) => c !== claims[6])) {
        expect(claimed.get(claim.token)).toMatchObject({ id: claim.taskId, status: 'IN_PROGRESS', attempts: 1, locked_by: claim.token });
        expect(await row(claim.taskId)).toMatchObject({ status: 'IN_PROGRESS', attempts: 1, locked_by: claim.token });
      }
      expect(claimed.get(claims[6].token)).toMatchObject({ id: expired, status: 'IN_PROGRESS', attempts: 2, locked_by: claims[6].token });
      expect(await row(stale)).toMatchObject({ status: 'PENDING', attempts: 0, locked_by: null });
      expect(await row(cancelled)).toMatchObject({ status: 'CANCELLED' });
      expect(await row(running)).toMatchObject({ status: 'IN_PROGRESS', attempts: 1 });
      expect([claims[4].token, claims[9].token]).not.toContain((await row(running)).locked_by);

      // The counts: the stats' sum equals count(*) for every (status, priority).
      const key = (r: { status: string; priority: string; count: number | string }) => `${r.status}/${r.priority}=${Number(r.count)}`;
      const fromCounts = await suite.sql.query(COUNT_TASKS_BY_STATUS_AND_PRIORITY);
      const fromTable = await suite.sql.query('SELECT status, priority, count(*)::int AS count FROM tasks GROUP BY status, priority');
      expect(fromCounts.rows.map(key).sort()).toEqual(fromTable.rows.map(key).sort());
      // What the claim's transaction wrote (its xmin, the same as on the rows it claimed).
      const ofClaim = `xmin::text = (SELECT xmin::text FROM tasks WHERE id = '${waiting[1]}')`;
      // Appended once for the statement, per (status, priority): PENDING -3 and IN_PROGRESS +3 (the take-over moves no count).
      const appended = await suite.sql.query(`SELECT status, priority, delta::int AS delta FROM task_count_deltas WHERE ${ofClaim}`);
      expect(appended.rows.map((r) => `${r.status}/${r.priority}=${r.delta}`).sort()).toEqual(['IN_PROGRESS/MEDIUM=3', 'PENDING/MEDIUM=-3']);

      // The timeline: one event per claimed task, none for a delivery that matched nothing.
      const events = await suite.sql.query(`SELECT task_id, status, attempt, worker, detail FROM task_events WHERE task_id = ANY($1) AND ${ofClaim}`, [all]);
      expect(events.rows.map((e) => `${e.task_id} ${e.status} ${e.attempt} ${e.detail}`).sort()).toEqual(
        [...waiting.map((id) => `${id} IN_PROGRESS 1 claimed by a worker`), `${expired} IN_PROGRESS 2 taken over: the previous worker was lost`].sort(),
      );
      expect(new Set(events.rows.map((e) => e.worker))).toEqual(new Set(['test']));
    });

    it('claims one delivery alone (claim_task) exactly as in a batch', async () => {
      const waiting = await insertTask();
      const stale = await insertTask();
      const first = claimOf(waiting);

      const task = await repository.claim(db(), first, 30);
      const again = await repository.claim(db(), claimOf(waiting), 30);
      const late = await repository.claim(db(), claimOf(stale, 2), 30);

      expect(task).toMatchObject({ id: waiting, status: 'IN_PROGRESS', attempts: 1, locked_by: first.token });
      expect(again).toBeNull();
      expect(late).toBeNull();
      expect(await row(stale)).toMatchObject({ status: 'PENDING', attempts: 0 });
    });
  });

  describe('the batch outcome statement', () => {
    const summaryOf = (id: string) => ({ taskId: id, type: 'noop', priority: TaskPriority.MEDIUM, correlationId: id });

    it('wakes no relay for a batch that queues no message: completions alone send no NOTIFY', async () => {
      const ids = [await insertTask(), await insertTask()];
      const claims = ids.map((id) => claimOf(id));
      await repository.claimMany(db(), claims, 30);
      const listener = await suite.pgClient();
      const heard: string[] = [];
      listener.on('notification', (n) => heard.push(n.payload ?? ''));
      await listener.query('LISTEN outbox_pending');
      try {
        const written = await repository.finishMany(
          db(),
          claims.map((claim): Finish => ({ action: 'complete', claim, resultJson: 'null' })),
        );
        expect([...written.values()]).toEqual(['COMPLETED', 'COMPLETED']);
        // Notifications arrive in commit order: once this marker, sent after the outcome
        // statement committed, is heard, anything that statement sent was heard before it.
        await suite.sql.query(`SELECT pg_notify('outbox_pending', 'marker')`);
        await eventually(async () => heard.includes('marker'), 15_000, 'the marker notification');
        expect(heard).toEqual(['marker']);
      } finally {
        await listener.end();
      }
    });

    it('writes each row as its own statement would, fenced by its own token and honouring its own cancel request', async () => {
      const ids = await Promise.all(Array.from({ length: 6 }, () => insertTask()));
      const claims = ids.map((id) => claimOf(id));
      await repository.claimMany(db(), claims, 30);
      const [completes, retries, fails, cancels, fencedOut, cancelRequested] = claims as [Claim, Claim, Claim, Claim, Claim, Claim];
      await suite.sql.query(`UPDATE tasks SET locked_by = 'someone-else' WHERE id = $1`, [fencedOut.taskId]);
      await suite.sql.query(`UPDATE tasks SET cancel_requested_at = now() WHERE id = $1`, [cancelRequested.taskId]);
      const retry = retryMessage(summaryOf(retries.taskId), 2, 5);
      const deadLetter = deadLetterMessage(summaryOf(fails.taskId), { attempts: 1, reason: 'permanent-error', error: 'no', failedAt: new Date() });
      const finishes: Finish[] = [
        { action: 'complete', claim: completes, resultJson: '{"n":1}' },
        { action: 'retry', claim: retries, error: 'try again', delaySeconds: 5, message: retry },
        { action: 'fail', claim: fails, error: 'no', deadLetter },
        { action: 'cancel', claim: cancels },
        { action: 'complete', claim: fencedOut, resultJson: '{"n":5}' },
        { action: 'retry', claim: cancelRequested, error: 'try again', delaySeconds: 5, message: retryMessage(summaryOf(cancelRequested.taskId), 2, 5) },
      ];

      const written = await repository.finishMany(db(), finishes);

      expect(Object.fromEntries(claims.map((c) => [c.taskId, written.get(c.token) ?? null]))).toEqual({
        [completes.taskId]: 'COMPLETED',
        [retries.taskId]: 'RETRYING',
        [fails.taskId]: 'FAILED',
        [cancels.taskId]: 'CANCELLED',
        [fencedOut.taskId]: null,
        [cancelRequested.taskId]: 'CANCELLED',
      });
      expect(await row(completes.taskId)).toMatchObject({ status: 'COMPLETED', result: { n: 1 }, error: null, locked_by: null });
      expect(await row(retries.taskId)).toMatchObject({ status: 'RETRYING', error: 'try again', locked_by: null });
      expect((await row(retries.taskId)).next_retry_at).not.toBeNull();
      expect(await row(fails.taskId)).toMatchObject({ status: 'FAILED', error: 'no' });
      expect(await row(cancels.taskId)).toMatchObject({ status: 'CANCELLED', error: 'cancelled while running' });
      expect(await row(fencedOut.taskId)).toMatchObject({ status: 'IN_PROGRESS', locked_by: 'someone-else', result: null });
      expect(await row(cancelRequested.taskId)).toMatchObject({ status: 'CANCELLED', error: 'cancelled while running', next_retry_at: null });
      expect(await outboxOf(retries.taskId)).toEqual([{ kind: 'retry', message_id: retry.messageId }]);
      expect(await outboxOf(fails.taskId)).toEqual([{ kind: 'dead-letter', message_id: deadLetter.messageId }]);
      for (const claim of [completes, cancels, fencedOut, cancelRequested]) expect(await outboxOf(claim.taskId)).toEqual([]);
    });
  });

  describe('the worker', () => {
    let worker: INestApplicationContext;

    beforeAll(async () => {
      worker = await suite.startWorker({ WORKER_PREFETCH: '20' }, TEST_HANDLERS);
      // The worker declares the queues after it started: a message sent before would find no queue.
      await eventually(async () => mediumQueue().declared, 20_000, 'the worker to declare tasks.medium');
    });

    afterAll(async () => {
      await suite.stop(worker);
    });

    /** `results.length` gated tasks, queued; resolves once every handler waits at the gate. */
    const runGated = async (results: Record<string, unknown>[]): Promise<string[]> => {
      const ids: string[] = [];
      const channel = await suite.channel();
      for (const result of results) {
        const id = await insertTask({ type: 'test.gated', payload: { result } });
        ids.push(id);
        const message = dispatchMessage({ taskId: id, type: 'test.gated', priority: TaskPriority.MEDIUM, correlationId: id });
        channel.sendToQueue(message.routingKey, Buffer.from(JSON.stringify(message.body)), {
          persistent: true,
          messageId: message.messageId,
          headers: { [ATTEMPT_HEADER]: 1 },
        });
      }
      await channel.close();
      await eventually(async () => TEST_GATE.waiting === results.length, 15_000, `${results.length} handlers waiting at the gate`);
      return ids;
    };
    const statuses = async (ids: string[]) => Promise.all(ids.map(async (id) => (await row(id)).status));
    const outcomes = async (status: string) => {
      const metric = await worker.get(MetricsService).taskOutcomes.get();
      return metric.values.filter((v) => v.labels.outcome === status && v.labels.type === 'test.gated').reduce((sum, v) => sum + v.value, 0);
    };
    /** Ready and unacknowledged messages of tasks.medium, from the broker. */
    const mediumQueue = (): { declared: boolean; ready: number; unacked: number } => {
      const out = execFileSync('rabbitmqctl', [
        '-q',
        'list_queues',
        '-p',
        suite.vhost,
        'name',
        'messages_ready',
        'messages_unacknowledged',
        '--no-table-headers',
      ]);
      const line = out
        .toString()
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .find((cols) => cols[0] === 'tasks.medium');
      if (!line) return { declared: false, ready: 0, unacked: 0 };
      return { declared: true, ready: Number(line[1]), unacked: Number(line[2]) };
    };

    it('completes and acknowledges the neighbours of a row another token took over, and reports that row SUPERSEDED', async () => {
      const supersededBefore = await outcomes('SUPERSEDED');
      const ids = await runGated([{ n: 1 }, { n: 2 }, { n: 3 }]);
      await suite.sql.query(`UPDATE tasks SET locked_by = 'someone-else' WHERE id = $1`, [ids[1]]);

      TEST_GATE.open();

      await eventually(async () => (await statuses([ids[0], ids[2]])).every((s) => s === 'COMPLETED'), 15_000, 'the neighbours to complete');
      await eventually(async () => (await outcomes('SUPERSEDED')) === supersededBefore + 1, 10_000, 'one SUPERSEDED outcome');
      expect(await row(ids[1])).toMatchObject({ status: 'IN_PROGRESS', locked_by: 'someone-else', result: null });
      expect(await row(ids[0])).toMatchObject({ result: { n: 1 } });
      await eventually(async () => mediumQueue().unacked === 0 && mediumQueue().ready === 0, 10_000, 'every message acknowledged');
    });

    describe('with a row Postgres refuses', () => {
      beforeAll(async () => {
        // Stands for any value of one row Postgres refuses (SQLSTATE class 22) that the worker does not check itself.
        await suite.sql.query(`
          CREATE FUNCTION refuse_marked_results() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN
            IF NEW.result ? 'refuse' THEN RAISE EXCEPTION 'this value is refused' USING ERRCODE = '22023'; END IF;
            IF NEW.result ? 'illegal' THEN RAISE EXCEPTION 'refused as an illegal status change' USING ERRCODE = 'TS001'; END IF;
            RETURN NEW;
          END $$;
          CREATE TRIGGER refuse_marked_results BEFORE UPDATE ON tasks FOR EACH ROW EXECUTE FUNCTION refuse_marked_results();`);
      });

      afterAll(async () => {
        await suite.sql.query('DROP TRIGGER refuse_marked_results ON tasks; DROP FUNCTION refuse_marked_results();');
      });

      it('commits the others and fails that task alone with the reason Postgres gave', async () => {
        const ids = await runGated([{ n: 1 }, { refuse: true }, { n: 3 }]);

        TEST_GATE.open();

        await eventually(async () => (await statuses(ids)).join() === 'COMPLETED,FAILED,COMPLETED', 15_000, 'the outcomes to be written');
        expect((await row(ids[1])).error).toContain('PostgreSQL refused it: this value is refused');
        expect(await row(ids[2])).toMatchObject({ result: { n: 3 } });
        await eventually(async () => mediumQueue().unacked === 0 && mediumQueue().ready === 0, 10_000, 'every message acknowledged');
      });

      it('commits the others when the status machine refuses one row (TS001), and reports that row SUPERSEDED', async () => {
        const supersededBefore = await outcomes('SUPERSEDED');
        const ids = await runGated([{ n: 1 }, { illegal: true }, { n: 3 }]);

        TEST_GATE.open();

        await eventually(async () => (await statuses([ids[0], ids[2]])).every((s) => s === 'COMPLETED'), 15_000, 'the neighbours to complete');
        await eventually(async () => (await outcomes('SUPERSEDED')) === supersededBefore + 1, 10_000, 'one SUPERSEDED outcome');
        expect(await row(ids[1])).toMatchObject({ status: 'IN_PROGRESS', result: null });
        await eventually(async () => mediumQueue().unacked === 0 && mediumQueue().ready === 0, 10_000, 'every message acknowledged');
      });
    });

    it('acknowledges no message of a batch before the statement that wrote its outcome committed', async () => {
      const ids = await runGated([{ n: 1 }, { n: 2 }, { n: 3 }]);
      // Hold one row of the batch: the outcome statement waits for this transaction.
      const blocker = await suite.pgClient();
      try {
        await blocker.query('BEGIN');
        await blocker.query('SELECT 1 FROM tasks WHERE id = $1 FOR UPDATE', [ids[1]]);

        TEST_GATE.open();

        await eventually(
          async () => {
            const { rows } = await suite.sql.query(
              `SELECT count(*)::int AS n FROM pg_stat_activity
               WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%UPDATE tasks%'`,
            );
            return rows[0].n > 0;
          },
          10_000,
          'the outcome statement to wait for the lock',
        );
        expect(await statuses(ids)).toEqual(['IN_PROGRESS', 'IN_PROGRESS', 'IN_PROGRESS']);
        // All three still in the broker: held unacknowledged by the worker (or requeued, should
        // its connection have dropped meanwhile), none acknowledged.
        const { ready, unacked } = mediumQueue();
        expect(ready + unacked).toBe(3);
      } finally {
        await blocker.query('COMMIT');
        await blocker.end();
      }
      await eventually(async () => (await statuses(ids)).every((s) => s === 'COMPLETED'), 15_000, 'the outcomes to commit');
      await eventually(async () => mediumQueue().unacked === 0 && mediumQueue().ready === 0, 10_000, 'every message acknowledged');
    });
  });
});

import type pg from 'pg';
import request from 'supertest';
import { TaskCreateBatcher } from '../../apps/api/src/tasks/task-create-batcher.js';
import { type ApiUnderTest, eventually, Suite } from './support/suite.js';

/**
 * Group commit of POST /tasks: creates that arrive side by side share one statement and one
 * commit, each answered with its own task or its own problem. Rows written by one transaction
 * carry the same xmin, so the number of distinct xmins counts the commits. To make "side by side"
 * certain rather than a matter of timing, the test holds a lock that stops every insert into
 * tasks until all the requests have reached the API.
 */
describe('create batching (group commit)', () => {
  let suite: Suite;
  let batched: ApiUnderTest;
  let unbatched: ApiUnderTest;

  beforeAll(async () => {
    suite = await Suite.create('batching');
    // A window far longer than the test: a batch goes only when the write before it has ended.
    batched = await suite.startApi({ CREATE_BATCH_WINDOW_MS: '1000', CREATE_BATCH_MAX: '500' });
    unbatched = await suite.startApi({ CREATE_BATCH_WINDOW_MS: '0' });
    await suite.sql.query(`
      CREATE FUNCTION test_refuse_title() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.title = 'refused by the database' THEN
          RAISE EXCEPTION 'the test refuses this title' USING ERRCODE = '22023';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER test_refuse_title BEFORE INSERT ON tasks FOR EACH ROW EXECUTE FUNCTION test_refuse_title();
    `);
  });

  afterAll(async () => {
    await suite.teardown();
  });

  /** Inserts into tasks wait until `release` is called. */
  async function holdInserts(): Promise<{ release: () => Promise<void>; waiting: () => Promise<number> }> {
    const client: pg.Client = await suite.pgClient();
    await client.query('BEGIN');
    await client.query('LOCK TABLE tasks IN SHARE MODE');
    return {
      release: async () => {
        await client.query('ROLLBACK');
        await client.end();
      },
      waiting: async () => {
        const { rows } = await suite.sql.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        );
        return rows[0].n;
      },
    };
  }

  type Sent = { requestId: string; title: string; idempotencyKey?: string };
  const send = (api: ApiUnderTest, { requestId, title, idempotencyKey }: Sent) => {
    const call = request(api.getHttpServer()).post('/api/v1/tasks').set('X-Request-ID', requestId);
    return (idempotencyKey ? call.set('Idempotency-Key', idempotencyKey) : call).send({ title, priority: 'LOW' });
  };
  const xminsOf = async (ids: string[]) => {
    const { rows } = await suite.sql.query<{ id: string; xmin: string }>('SELECT id, xmin::text AS xmin FROM tasks WHERE id = ANY($1)', [ids]);
    return new Map(rows.map((r) => [r.id, r.xmin]));
  };
  const sentBatch = (prefix: string, n: number): Sent[] => Array.from({ length: n }, (_, i) => ({ requestId: `${prefix}-${i}`, title: `${prefix} ${i}` }));

  /** Sends every request while inserts are held, and lets them go once `ready` says they all arrived. */
  async function sendWhileHeld(api: ApiUnderTest, sent: Sent[], ready: (waiting: number) => Promise<boolean>) {
    const hold = await holdInserts();
    try {
      const answers = Promise.all(sent.map((s) => send(api, s)));
      await eventually(async () => ready(await hold.waiting()), 20_000, 'every request to reach the database or the batcher');
      await hold.release();
      return await answers;
    } catch (error) {
      await hold.release().catch(() => undefined);
      throw error;
    }
  }
  const batcherOf = (api: ApiUnderTest) => api.app.get(TaskCreateBatcher);

  it('writes concurrent creates by one statement and one commit, each request answered with its own task', async () => {
    const sent = sentBatch('together', 25);

    const answers = await sendWhileHeld(batched, sent, async (waiting) => waiting >= 1 && batcherOf(batched).pending === sent.length);

    expect(answers.map((a) => a.status)).toEqual(sent.map(() => 201));
    expect(answers.map((a) => [a.body.title, a.body.correlationId, a.headers['x-request-id']])).toEqual(sent.map((s) => [s.title, s.requestId, s.requestId]));
    const ids = answers.map((a) => a.body.id as string);
    expect(new Set(ids).size).toBe(sent.length);
    const xmins = await xminsOf(ids);
    expect(xmins.size).toBe(sent.length);
    // The first request went at once and waited on the lock; the 24 behind it went as one batch.
    expect(new Set(xmins.values()).size).toBeLessThanOrEqual(2);
    const { rows } = await suite.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE task_id = ANY($1) AND kind = 'dispatch'", [ids]);
    expect(rows[0].n).toBe(sent.length);
  });

  it('answers the others 201 when the database refuses one create of a batch, and that one its own problem, writing nothing for it', async () => {
    const sent = sentBatch('mixed', 10);
    sent[6] = { requestId: 'mixed-refused', title: 'refused by the database' };

    const answers = await sendWhileHeld(batched, sent, async (waiting) => waiting >= 1 && batcherOf(batched).pending === sent.length);

    expect(answers.map((a) => a.status)).toEqual(sent.map((s) => (s.requestId === 'mixed-refused' ? 500 : 201)));
    expect(answers[6].body).toMatchObject({ status: 500, code: 'INTERNAL_ERROR', requestId: 'mixed-refused' });
    expect(answers[6].headers['content-type']).toContain('application/problem+json');
    const written = answers.filter((a) => a.status === 201);
    expect(written.map((a) => a.body.title)).toEqual(sent.filter((s) => s.requestId !== 'mixed-refused').map((s) => s.title));
    expect((await xminsOf(written.map((a) => a.body.id))).size).toBe(9);
    const { rows } = await suite.sql.query<{ tasks: number; outbox: number }>(
      "SELECT (SELECT count(*) FROM tasks WHERE title = 'refused by the database' OR correlation_id = 'mixed-refused')::int AS tasks, " +
        "(SELECT count(*) FROM outbox WHERE body->>'correlationId' = 'mixed-refused')::int AS outbox",
    );
    expect(rows[0]).toEqual({ tasks: 0, outbox: 0 });
  });

  it('does not merge a create with an Idempotency-Key: it commits on its own and replays as before', async () => {
    const key = `batching-${process.pid}`;
    const sent: Sent[] = [...sentBatch('beside-key', 6), { requestId: 'keyed', title: 'with a key', idempotencyKey: key }];

    // The keyed request takes its own connection and waits on the lock; the others queue in the batcher.
    const answers = await sendWhileHeld(batched, sent, async (waiting) => waiting >= 2 && batcherOf(batched).pending === sent.length - 1);

    expect(answers.map((a) => a.status)).toEqual(sent.map(() => 201));
    const keyed = answers[6].body;
    const xmins = await xminsOf(answers.map((a) => a.body.id));
    const keyedXmin = xmins.get(keyed.id);
    expect(answers.slice(0, 6).every((a) => xmins.get(a.body.id) !== keyedXmin)).toBe(true);
    const { rows } = await suite.sql.query<{ xmin: string }>('SELECT xmin::text AS xmin FROM idempotency_keys WHERE key = $1', [key]);
    expect(rows.map((r) => r.xmin)).toEqual([keyedXmin]);

    const replay = await send(batched, { requestId: 'keyed-again', title: 'with a key', idempotencyKey: key }).expect(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.id).toBe(keyed.id);
    const conflict = await send(batched, { requestId: 'keyed-other', title: 'another body', idempotencyKey: key }).expect(409);
    expect(conflict.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('writes one transaction per request with CREATE_BATCH_WINDOW_MS=0', async () => {
    const sent = sentBatch('alone', 12);

    // Batching off: every request holds a pool connection (10) and waits on the lock there.
    const answers = await sendWhileHeld(unbatched, sent, async (waiting) => waiting >= 10);

    expect(answers.map((a) => a.status)).toEqual(sent.map(() => 201));
    const xmins = await xminsOf(answers.map((a) => a.body.id));
    expect(new Set(xmins.values()).size).toBe(sent.length);
    expect(batcherOf(unbatched).pending).toBe(0);
  });
});

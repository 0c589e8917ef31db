import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { type SqlExecutor, TaskExecutionRepository } from '#database';
import { ATTEMPT_HEADER, DEAD_LETTER_HEADERS, dispatchMessage } from '#messaging';
import { TaskPriority } from '#tasks';
import { type ApiUnderTest, Suite, eventually } from './support/suite.js';
import { taskClient } from './support/task-client.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { type BadOutput, TEST_HANDLERS } from './support/test-handlers.js';

/**
 * The worker's execution model on the real services: an attempt is held by a short lease that a
 * heartbeat renews; a redelivery never takes over a live lease; a cancel request reaches a
 * running handler without its control message; no database error makes a valid message poison;
 * a result Postgres cannot store fails the task at once.
 */
describe('execution model', () => {
  let suite: Suite;
  let api: ApiUnderTest;

  const { create, until } = taskClient(() => api);
  const events = async (id: string, status: string) =>
    (
      await suite.sql.query<{ worker: string; attempt: number; detail: string; at: Date }>(
        'SELECT worker, attempt, detail, at FROM task_events WHERE task_id = $1 AND status = $2 ORDER BY id',
        [id, status],
      )
    ).rows;
  const sql: () => SqlExecutor = () => ({
    query: async <T>(text: string, params?: unknown[]) => {
      const result = await suite.sql.query(text, params);
      return { rows: result.rows as T[], rowCount: result.rowCount ?? 0 };
    },
  });
  const dlqCopiesOf = async (taskId: string) => (await suite.drainQueue('tasks.dlq')).filter((m) => JSON.parse(m.content.toString()).taskId === taskId);

  beforeAll(async () => {
    suite = await Suite.create('execution', { TASK_LEASE_SECONDS: '3', RETRY_DELAYS_SECONDS: '1' });
    api = await suite.startApi();
    await suite.startRelay();
  });

  afterEach(async () => {
    await suite.killProcesses();
  });

  afterAll(async () => {
    await suite.teardown();
  });

  it('runs a task once when the broker closes its worker connection mid-task while another worker consumes the queue', async () => {
    const workers = [await suite.startProcess('worker'), await suite.startProcess('worker')];
    await eventually(async () => (await consumersOf(suite.vhost, 'tasks.medium')) === 2, 30_000, 'two consumers on tasks.medium');
    const task = await create({ title: 'long', type: 'sleep', payload: { ms: 20_000 } });
    await until(task.id, 'IN_PROGRESS');
    const [claimed] = await events(task.id, 'IN_PROGRESS');
    const holder = workers.find((w) => claimed.worker.endsWith(`:${w.pid}`))!;
    const other = workers.find((w) => w !== holder)!;

    const connections = connectionsOf(suite.vhost, holder.pid);
    expect(connections).toHaveLength(1);
    execFileSync('rabbitmqctl', ['-q', 'close_connection', connections[0], 'closed by the test']);
    // The cut must land while the handler runs, or the test proves nothing.
    expect(await suite.taskStatus(task.id)).toBe('IN_PROGRESS');

    const done = await until(task.id, 'COMPLETED', 45_000);
    expect(done.attempts).toBe(1);
    const running = await events(task.id, 'IN_PROGRESS');
    expect(running).toHaveLength(1);
    const completed = await events(task.id, 'COMPLETED');
    expect(completed).toHaveLength(1);
    expect(completed[0].worker).toMatch(new RegExp(`:${holder.pid}$`));
    expect(other.running).toBe(true);
  }, 90_000);

  it('stops a handler whose worker cannot reach Postgres before its lease can expire, and only then lets another worker take over', async () => {
    const proxy = new TcpProxy(5432);
    await proxy.open();
    try {
      const cutOff = await suite.startProcess('worker', { POSTGRES_PORT: String(proxy.port) });
      const task = await create({ title: 'held by a lease', type: 'sleep', payload: { ms: 20_000 } });
      await until(task.id, 'IN_PROGRESS');
      const [claimed] = await events(task.id, 'IN_PROGRESS');
      expect(claimed.worker).toMatch(new RegExp(`:${cutOff.pid}$`));
      const other = await suite.startProcess('worker');

      await proxy.close();
      const takeOver = await eventually(
        async () => (await events(task.id, 'IN_PROGRESS')).find((e) => e.detail.startsWith('taken over')),
        30_000,
        'another worker to take the task over',
      );
      expect(takeOver).toMatchObject({ attempt: 2, detail: 'taken over: the previous worker was lost' });
      expect(takeOver.worker).toMatch(new RegExp(`:${other.pid}$`));

      // The cut-off worker stopped its handler before the take-over began.
      const stopped = cutOff.lines
        .map((line) => JSON.parse(line) as { taskId?: string; msg?: string; time: string })
        .find((line) => line.taskId === task.id && line.msg?.includes('lost the lease: no renewal reached Postgres'));
      expect(stopped).toBeDefined();
      const stoppedAt = Date.parse(stopped!.time);
      expect(stoppedAt).toBeLessThan(takeOver.at.getTime());

      await proxy.open();
      await until(task.id, 'COMPLETED', 40_000);
      const completed = await events(task.id, 'COMPLETED');
      expect(completed).toHaveLength(1);
      expect(completed[0].worker).toMatch(new RegExp(`:${other.pid}$`));
    } finally {
      await proxy.close();
    }
  }, 90_000);

  it('cancels a running task through the heartbeat when no control message arrives', async () => {
    const worker = await suite.startWorker();
    try {
      const task = await create({ title: 'cancel me quietly', type: 'sleep', payload: { ms: 30_000 } });
      await until(task.id, 'IN_PROGRESS');
      // What DELETE records, without the control message (lost while the worker reconnected).
      await suite.sql.query('UPDATE tasks SET cancel_requested_at = now() WHERE id = $1', [task.id]);

      const cancelled = await until(task.id, 'CANCELLED', 15_000);
      expect(cancelled).toMatchObject({ attempts: 1, error: 'cancelled while running' });
    } finally {
      await suite.stop(worker);
    }
  });

  describe('a finishing write when a cancel was requested while the handler ran', () => {
    const repository = new TaskExecutionRepository();

    /** A task IN_PROGRESS under `token`, with a cancel request recorded. */
    const runningWithCancelRequest = async (token: string): Promise<string> => {
      const id = randomUUID();
      await suite.sql.query(
        `INSERT INTO tasks (id, type, title, status, attempts, max_attempts, correlation_id, locked_by, locked_until, started_at, cancel_requested_at)
         VALUES ($1::uuid, 'noop', 'finish vs cancel', 'IN_PROGRESS', 1, 3, $1::text, $2, now() + interval '1 minute', now(), now())`,
        [id, token],
      );
      return id;
    };
    const row = async (id: string) => (await suite.sql.query('SELECT status, result, error, next_retry_at FROM tasks WHERE id = $1', [id])).rows[0];
    const outboxKinds = async (id: string) => (await suite.sql.query('SELECT kind FROM outbox WHERE task_id = $1', [id])).rows.map((r) => r.kind);
    const summary = (id: string) => ({ taskId: id, type: 'noop', priority: TaskPriority.MEDIUM, correlationId: id });

    it('writes CANCELLED instead of COMPLETED, without the result', async () => {
      const id = await runningWithCancelRequest('token-complete');
      const written = await repository.complete(sql(), { taskId: id, attempt: 1, token: 'token-complete' }, '{"done":true}');
      expect(written).toBe('CANCELLED');
      expect(await row(id)).toMatchObject({ status: 'CANCELLED', result: null, error: expect.stringContaining('cancelled while running') });
    });

    it('writes CANCELLED instead of RETRYING, with no retry message', async () => {
      const id = await runningWithCancelRequest('token-retry');
      const message = dispatchMessage(summary(id), 2);
      const written = await repository.scheduleRetry(sql(), { taskId: id, attempt: 1, token: 'token-retry' }, 'boom', 1, message);
      expect(written).toBe('CANCELLED');
      expect(await row(id)).toMatchObject({ status: 'CANCELLED', error: 'cancelled while running', next_retry_at: null });
      expect(await outboxKinds(id)).toEqual([]);
    });

    it('writes CANCELLED instead of FAILED, with no copy for tasks.dlq', async () => {
      const id = await runningWithCancelRequest('token-fail');
      const message = dispatchMessage(summary(id), 1);
      const written = await repository.fail(sql(), { taskId: id, attempt: 1, token: 'token-fail' }, 'boom', message);
      expect(written).toBe('CANCELLED');
      expect(await row(id)).toMatchObject({ status: 'CANCELLED', error: 'cancelled while running' });
      expect(await outboxKinds(id)).toEqual([]);
    });
  });

  // The refusals: too many connections, serialization failure, statement cancelled, read-only.
  it('hands a message back, never to tasks.dlq, when Postgres refuses its claim', async () => {
    // Only in this suite's database: the first four claims of tasks titled so fail with these SQLSTATEs.
    await suite.sql.query(`
      CREATE SEQUENCE injected_claim_failures;
      CREATE FUNCTION fail_first_claims() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        codes text[] := ARRAY['53300', '40001', '57014', '25006'];
        n bigint := nextval('injected_claim_failures');
      BEGIN
        IF n <= array_length(codes, 1) THEN
          RAISE EXCEPTION 'injected claim failure %', n USING ERRCODE = codes[n];
        END IF;
        RETURN NEW;
      END
      $$;
      CREATE TRIGGER fail_first_claims BEFORE UPDATE OF status ON tasks FOR EACH ROW
        WHEN (NEW.status = 'IN_PROGRESS' AND OLD.status <> 'IN_PROGRESS' AND NEW.title = 'claim refused at first')
        EXECUTE FUNCTION fail_first_claims();
    `);
    const worker = await suite.startWorker();
    try {
      const task = await create({ title: 'claim refused at first', type: 'noop' });
      const done = await until(task.id, 'COMPLETED', 45_000);
      expect(done.attempts).toBe(1);
      const { rows } = await suite.sql.query<{ n: string }>('SELECT last_value AS n FROM injected_claim_failures');
      expect(Number(rows[0].n)).toBeGreaterThanOrEqual(5);
      expect(await dlqCopiesOf(task.id)).toHaveLength(0);
    } finally {
      await suite.stop(worker);
      await suite.sql.query('DROP TRIGGER fail_first_claims ON tasks; DROP FUNCTION fail_first_claims(); DROP SEQUENCE injected_claim_failures;');
    }
  });

  describe('a handler output Postgres cannot store', () => {
    let worker: INestApplicationContext;

    beforeAll(async () => {
      worker = await suite.startWorker({ TASK_RESULT_MAX_BYTES: '1000' }, TEST_HANDLERS);
    });

    afterAll(async () => {
      await suite.stop(worker);
    });

    /** A task of the test-only type (the API knows only the deployment's types), queued by hand. */
    const queueBadOutput = async (kind: BadOutput, maxAttempts: number): Promise<string> => {
      const id = randomUUID();
      await suite.sql.query(
        `INSERT INTO tasks (id, type, title, payload, status, max_attempts, correlation_id)
         VALUES ($1::uuid, 'test.bad-output', $2, $3, 'PENDING', $4, $1::text)`,
        [id, `bad output: ${kind}`, { kind }, maxAttempts],
      );
      const message = dispatchMessage({ taskId: id, type: 'test.bad-output', priority: TaskPriority.MEDIUM, correlationId: id });
      const channel = await suite.channel();
      channel.sendToQueue(message.routingKey, Buffer.from(JSON.stringify(message.body)), {
        persistent: true,
        messageId: message.messageId,
        headers: { [ATTEMPT_HEADER]: 1 },
      });
      await channel.close();
      return id;
    };
    const failedFor = async (id: string) => {
      const task = await until(id, 'FAILED', 20_000);
      const copies = await eventually(
        async () => {
          const found = await dlqCopiesOf(id);
          return found.length > 0 ? found : undefined;
        },
        10_000,
        `the DLQ copy of ${id}`,
      );
      return { task, copies };
    };

    it.each([
      ['nul-in-string', 'a string in the result contains a NUL character'],
      ['nul-in-key', 'a key of the result contains a NUL character'],
      ['lone-surrogate', 'a string in the result contains a lone UTF-16 surrogate'],
      ['bigint', 'the result cannot be written as JSON'],
      ['cycle', 'the result cannot be written as JSON'],
      ['too-big', 'over TASK_RESULT_MAX_BYTES (1000)'],
    ] as [BadOutput, string][])('fails a task whose result has %s at once, with reason result-not-storable', async (kind, reason) => {
      const id = await queueBadOutput(kind, 3);
      const { task, copies } = await failedFor(id);
      expect(task.attempts).toBe(1);
      expect(task.error).toContain("the handler's result cannot be stored");
      expect(task.error).toContain(reason);
      expect(task.result).toBeNull();
      expect(copies).toHaveLength(1);
      expect(copies[0].properties.headers).toMatchObject({ [DEAD_LETTER_HEADERS.reason]: 'result-not-storable' });
      expect(await events(id, 'IN_PROGRESS')).toHaveLength(1);
    });

    it('stores an error text with a NUL character and a lone surrogate, with each replaced', async () => {
      const id = await queueBadOutput('error-with-nul', 1);
      const { task, copies } = await failedFor(id);
      expect(task).toMatchObject({ attempts: 1, error: 'broken\uFFFD text with half a pair \uFFFD inside' });
      expect(copies[0].properties.headers).toMatchObject({ [DEAD_LETTER_HEADERS.reason]: 'max-attempts-exhausted' });
    });
  });
});

/** The broker's connections on `vhost` opened by the process `pid` (their connection_name ends in `:pid`). */
function connectionsOf(vhost: string, pid: number): string[] {
  return execFileSync('rabbitmqctl', ['-q', 'list_connections', 'pid', 'vhost', 'client_properties'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.split('\t')[1] === vhost && line.includes(`:${pid}"`))
    .map((line) => line.split('\t')[0]);
}

async function consumersOf(vhost: string, queue: string): Promise<number> {
  return execFileSync('rabbitmqctl', ['-q', 'list_consumers', '-p', vhost, 'queue_name'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.trim() === queue).length;
}

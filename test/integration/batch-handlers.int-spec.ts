import { Injectable } from '@nestjs/common';
import { IsIn, IsOptional } from 'class-validator';
import request from 'supertest';
import {
  type BatchContext,
  type BatchItem,
  type BatchItemResult,
  type BatchTaskHandlerContract,
  TASK_HANDLERS,
  TaskHandler,
  type TaskHandlerClass,
} from '#tasks';
import { type ApiUnderTest, eventually, Suite } from './support/suite.js';
import { taskClient } from './support/task-client.js';
import { WorkerModule } from '../../apps/worker/src/worker.module.js';

const MODES = ['ok', 'fail-first-attempt', 'hang', 'wait-for-cancel'] as const;

class RowPayload {
  /**
   * ok: a result; fail-first-attempt: an error on attempt 1, a result after; hang: runs until its
   * signal fires; wait-for-cancel: the batch waits until this item's signal fires.
   */
  @IsOptional() @IsIn(MODES) mode?: (typeof MODES)[number];
}

/** Every runBatch call, counted from inside the handler: the task ids and attempts it was given. */
const calls: { taskIds: string[]; attempts: number[] }[] = [];
const callsWith = (id: string) => calls.filter((c) => c.taskIds.includes(id));

const BATCH_SIZE = 3;

/**
 * Gathers three tasks and waits up to a minute for them, so a batch runs when it is full, not
 * when a timer says: which tasks share a call does not depend on how fast the machine is.
 */
@Injectable()
@TaskHandler({
  type: 'batch.rows',
  payload: RowPayload,
  description: 'Test only: a batch type whose items succeed, fail once, hang or wait for a cancel.',
  batch: { size: BATCH_SIZE, maxWaitMs: 60_000 },
  maxAttempts: 2,
  retry: { backoff: 'fixed', initialDelaySeconds: 1 },
  timeoutSeconds: 2,
})
class RowsHandler implements BatchTaskHandlerContract<RowPayload> {
  async runBatch(items: readonly BatchItem<RowPayload>[], context: BatchContext): Promise<BatchItemResult[]> {
    calls.push({ taskIds: items.map((i) => i.taskId), attempts: items.map((i) => i.attempt) });
    const waits = items.filter((i) => i.payload.mode === 'hang' || i.payload.mode === 'wait-for-cancel').map((i) => i.signal);
    await Promise.all(waits.map((signal) => new Promise((resolve) => (signal.aborted ? resolve(undefined) : signal.addEventListener('abort', resolve)))));
    return items.map((item): BatchItemResult => {
      if (item.payload.mode === 'fail-first-attempt' && item.attempt === 1) return { ok: false, error: new Error(`row of ${item.taskId} refused`) };
      if (item.payload.mode === 'hang' && context.signal.aborted) return { ok: false, error: new Error('stopped') };
      return { ok: true, result: { wrote: item.taskId, attempt: item.attempt } };
    });
  }
}

const HANDLERS: TaskHandlerClass[] = [...TASK_HANDLERS, RowsHandler];

/** Batch handlers on the real Postgres and RabbitMQ: one runBatch call per batch, one outcome per task. */
describe('batch handlers', () => {
  let suite: Suite;
  let api: ApiUnderTest;
  const tasks = taskClient(() => api, 40_000);
  const createMany = async (modes: (typeof MODES)[number][]): Promise<string[]> => {
    const body = { tasks: modes.map((mode, i) => ({ title: `row ${i}`, type: 'batch.rows', payload: { mode } })) };
    const created = await request(api.getHttpServer()).post('/api/v1/tasks/batch').send(body).expect(201);
    return (created.body as { tasks: { id: string }[] }).tasks.map((t) => t.id);
  };
  const row = async (id: string) =>
    (await suite.sql.query<{ status: string; attempts: number; error: string | null }>('SELECT status, attempts, error FROM tasks WHERE id = $1', [id]))
      .rows[0];

  beforeAll(async () => {
    suite = await Suite.create('batch', { WORKER_PREFETCH: '10' });
    api = await suite.startApi({}, HANDLERS);
    await suite.startRelay({}, HANDLERS);
    await suite.startWorker({}, HANDLERS);
  });

  afterAll(async () => {
    await suite?.teardown();
  });

  it('runs a batch of tasks in one runBatch call and completes each with its own result', async () => {
    const ids = await createMany(['ok', 'ok', 'ok']);

    for (const id of ids) await tasks.until(id, 'COMPLETED');

    const mine = calls.filter((c) => c.taskIds.some((t) => ids.includes(t)));
    expect(mine).toHaveLength(1);
    expect([...mine[0].taskIds].sort()).toEqual([...ids].sort());
    for (const id of ids) expect((await tasks.get(id)).result).toEqual({ wrote: id, attempt: 1 });
  });

  it('retries a failing item alone while its neighbours complete', async () => {
    const [bad, ...good] = await createMany(['fail-first-attempt', 'ok', 'ok']);

    for (const id of good) await tasks.until(id, 'COMPLETED');
    await eventually(async () => (await row(bad)).status === 'RETRYING' || (await row(bad)).attempts === 2, 20_000, 'the bad item to retry');
    // Its retry waits for two more tasks to fill its batch.
    const fillers = await createMany(['ok', 'ok']);
    const done = await tasks.until(bad, 'COMPLETED');

    expect(done.attempts).toBe(2);
    expect(done.result).toEqual({ wrote: bad, attempt: 2 });
    const [first, second] = callsWith(bad);
    expect([...first.taskIds].sort()).toEqual([bad, ...good].sort());
    expect([...second.taskIds].sort()).toEqual([bad, ...fillers].sort());
    for (const id of good) expect(await row(id)).toMatchObject({ status: 'COMPLETED', attempts: 1 });
    for (const id of fillers) await tasks.until(id, 'COMPLETED');
  });

  it('ends a cancelled item CANCELLED while the others of its batch complete', async () => {
    const [waiting, ...others] = await createMany(['wait-for-cancel', 'ok', 'ok']);
    await eventually(async () => callsWith(waiting).length === 1, 20_000, 'the batch to start');

    await request(api.getHttpServer()).delete(`/api/v1/tasks/${waiting}`).expect(202);

    await tasks.until(waiting, 'CANCELLED');
    for (const id of others) await tasks.until(id, 'COMPLETED');
    expect(callsWith(waiting)).toHaveLength(1);
    expect((await row(waiting)).attempts).toBe(1);
  });

  it('fails each item of a batch that runs past the timeoutSeconds as a time-out', async () => {
    const body = { tasks: [0, 1, 2].map((i) => ({ title: `hang ${i}`, type: 'batch.rows', payload: { mode: 'hang' }, maxAttempts: 1 })) };
    const ids = ((await request(api.getHttpServer()).post('/api/v1/tasks/batch').send(body).expect(201)).body as { tasks: { id: string }[] }).tasks.map(
      (t) => t.id,
    );

    for (const id of ids) await tasks.until(id, 'FAILED');

    for (const id of ids) expect((await row(id)).error).toContain('timed out after 2 s (timeoutSeconds of batch.rows)');
    expect(calls.filter((c) => c.taskIds.some((t) => ids.includes(t)))).toHaveLength(1);
    await suite.drainQueue('tasks.dlq');
  });

  it('refuses to start a worker whose WORKER_PREFETCH is below a batch size, naming the type and both numbers', () => {
    expect(() => WorkerModule.forRoot(suite.config({ WORKER_PREFETCH: '2' }), HANDLERS)).toThrow(
      'task type batch.rows gathers batches of up to 3 tasks (batch.size) but WORKER_PREFETCH is 2',
    );
  });

  it('shows the batch settings in GET /task-types', async () => {
    const { body } = await request(api.getHttpServer()).get('/api/v1/task-types').expect(200);
    const types = body.items as { type: string; policy: { batch: unknown } }[];

    expect(types.find((t) => t.type === 'batch.rows')?.policy.batch).toEqual({ size: 3, maxWaitMs: 60_000 });
    expect(types.find((t) => t.type === 'noop')?.policy.batch).toBeNull();
  });
});

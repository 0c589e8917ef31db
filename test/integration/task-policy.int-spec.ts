import { Injectable } from '@nestjs/common';
import type { INestApplicationContext } from '@nestjs/common';
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';
import type pg from 'pg';
import request from 'supertest';
import { AmqpConnectionService, retryQueueName } from '#messaging';
import { MetricsService } from '#observability';
import { TASK_HANDLERS, TaskHandler, type TaskContext, type TaskErrorInfo, type TaskHandlerContract, type TaskHookContext } from '#tasks';
import { type ApiUnderTest, Suite, eventually } from './support/suite.js';
import { Gate } from './support/test-handlers.js';
import { WorkerModule } from '../../apps/worker/src/worker.module.js';

/** The suite's pool, for hooks that read a task's status from the database. */
let db: pg.Pool;

class FailingPayload {
  /** Fails the first `times` attempts; every attempt when absent. */
  @IsOptional() @IsInt() @Min(0) @Max(20) times?: number;
}

const failFirst = (payload: FailingPayload, context: TaskContext) => {
  if (payload.times === undefined || context.attempt <= payload.times) throw new Error(`attempt ${context.attempt} fails`);
  return { attempt: context.attempt };
};

@Injectable()
@TaskHandler({
  type: 'policy.fixed',
  payload: FailingPayload,
  description: 'Test only: fails; retried after a fixed 1 s, four attempts.',
  maxAttempts: 4,
  retry: { backoff: 'fixed', initialDelaySeconds: 1 },
})
class FixedHandler implements TaskHandlerContract<FailingPayload> {
  async run(payload: FailingPayload, context: TaskContext): Promise<unknown> {
    return failFirst(payload, context);
  }
}

@Injectable()
@TaskHandler({
  type: 'policy.exponential',
  payload: FailingPayload,
  description: 'Test only: fails; retried after 1, 2, 4 s, four attempts.',
  maxAttempts: 4,
  retry: { backoff: 'exponential', initialDelaySeconds: 1, maxDelaySeconds: 60 },
})
class ExponentialHandler implements TaskHandlerContract<FailingPayload> {
  async run(payload: FailingPayload, context: TaskContext): Promise<unknown> {
    return failFirst(payload, context);
  }
}

class EmptyPayload {}

@Injectable()
@TaskHandler({ type: 'policy.slow', payload: EmptyPayload, description: 'Test only: runs until its signal fires.', maxAttempts: 1, timeoutSeconds: 1 })
class SlowHandler implements TaskHandlerContract<EmptyPayload> {
  async run(_payload: EmptyPayload, context: TaskContext): Promise<unknown> {
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, 30_000);
      context.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve(undefined);
      });
    });
    throw context.signal.reason ?? new Error('stopped');
  }
}

/** policy.limited handlers wait here; counted from inside the handlers. */
const limitedGate = new Gate();
const limited = { running: 0, most: 0 };

@Injectable()
@TaskHandler({ type: 'policy.limited', payload: EmptyPayload, description: 'Test only: two at a time, waits at a gate.', concurrency: 2 })
class LimitedHandler implements TaskHandlerContract<EmptyPayload> {
  async run(): Promise<unknown> {
    limited.running++;
    limited.most = Math.max(limited.most, limited.running);
    try {
      await limitedGate.wait();
      return {};
    } finally {
      limited.running--;
    }
  }
}

@Injectable()
@TaskHandler({ type: 'policy.free', payload: EmptyPayload, description: 'Test only: no limit of its own.' })
class FreeHandler implements TaskHandlerContract<EmptyPayload> {
  async run(): Promise<unknown> {
    return { ran: true };
  }
}

/** One hook call, with the task's status as the hook read it from the database. */
interface HookCall {
  taskId: string;
  hook: 'onSuccess' | 'onError';
  contextStatus: string;
  statusInDatabase: string;
  willRetry?: boolean;
  result?: unknown;
  error?: string;
}
const hookCalls: HookCall[] = [];
const statusOf = async (id: string) => (await db.query<{ status: string }>('SELECT status FROM tasks WHERE id = $1', [id])).rows[0].status;

@Injectable()
@TaskHandler({
  type: 'policy.hooked',
  payload: FailingPayload,
  description: 'Test only: records its hooks with the status they read.',
  maxAttempts: 2,
  retry: { backoff: 'fixed', initialDelaySeconds: 1 },
})
class HookedHandler implements TaskHandlerContract<FailingPayload> {
  async run(payload: FailingPayload, context: TaskContext): Promise<unknown> {
    return failFirst(payload, context);
  }

  async onSuccess(result: unknown, context: TaskHookContext): Promise<void> {
    const statusInDatabase = await statusOf(context.taskId);
    hookCalls.push({ taskId: context.taskId, hook: 'onSuccess', contextStatus: context.status, statusInDatabase, result });
  }

  async onError(error: Error, context: TaskHookContext, info: TaskErrorInfo): Promise<void> {
    const statusInDatabase = await statusOf(context.taskId);
    hookCalls.push({
      taskId: context.taskId,
      hook: 'onError',
      contextStatus: context.status,
      statusInDatabase,
      willRetry: info.willRetry,
      error: error.message,
    });
  }
}

@Injectable()
@TaskHandler({ type: 'policy.cancellable', payload: EmptyPayload, description: 'Test only: runs until cancelled, records its hooks.' })
class CancellableHandler implements TaskHandlerContract<EmptyPayload> {
  async run(_payload: EmptyPayload, context: TaskContext): Promise<unknown> {
    await new Promise((_, reject) => context.signal.addEventListener('abort', () => reject(context.signal.reason as Error)));
    return {};
  }

  async onError(error: Error, context: TaskHookContext, info: TaskErrorInfo): Promise<void> {
    const statusInDatabase = await statusOf(context.taskId);
    hookCalls.push({ taskId: context.taskId, hook: 'onError', contextStatus: context.status, statusInDatabase, willRetry: info.willRetry, error: error.name });
  }
}

class BadHookPayload {
  @IsBoolean() fail!: boolean;
  /** The hook's way of failing: throw at once, reject later, or never settle. */
  @IsInt() @Min(0) @Max(2) how!: number;
}

const badHookRuns = new Map<string, number>();
/** Each bad-hook task's way of failing, from its payload. */
const badHookHow = new Map<string, number>();

@Injectable()
@TaskHandler({ type: 'policy.bad-hook', payload: BadHookPayload, description: 'Test only: hooks that fail.', maxAttempts: 1, timeoutSeconds: 1 })
class BadHookHandler implements TaskHandlerContract<BadHookPayload> {
  async run(payload: BadHookPayload, context: TaskContext): Promise<unknown> {
    badHookHow.set(context.taskId, payload.how);
    if (payload.fail) throw new Error('the task fails');
    return { done: true };
  }

  onSuccess(_result: unknown, context: TaskHookContext): Promise<void> {
    return failHook(context);
  }

  onError(_error: Error, context: TaskHookContext): Promise<void> {
    return failHook(context);
  }
}

function failHook(context: TaskHookContext): Promise<void> {
  badHookRuns.set(context.taskId, (badHookRuns.get(context.taskId) ?? 0) + 1);
  const how = badHookHow.get(context.taskId);
  if (how === 0) throw new Error('the hook throws');
  if (how === 1) return new Promise((_, reject) => setTimeout(() => reject(new Error('the hook rejects')), 10));
  return new Promise(() => undefined);
}

const POLICY_HANDLERS = [
  ...TASK_HANDLERS,
  FixedHandler,
  ExponentialHandler,
  SlowHandler,
  LimitedHandler,
  FreeHandler,
  HookedHandler,
  CancellableHandler,
  BadHookHandler,
];

/** Above a step: the relay's poll, the broker's expiry and the worker's claim. */
const TOLERANCE_MS = 2_000;

/**
 * Per-type policies and hooks on the real broker. The global settings are far from the types'
 * own (a 30 s ladder, 2 attempts, a 60 s time-out), so a type that fell back to them would show.
 */
describe('task policies and hooks', () => {
  let suite: Suite;
  let api: ApiUnderTest;
  let relay: INestApplicationContext;
  let worker: INestApplicationContext;

  const create = async (body: Record<string, unknown>) => (await request(api.getHttpServer()).post('/api/v1/tasks').send(body).expect(201)).body;
  const row = async (id: string) => (await suite.sql.query('SELECT status, attempts, max_attempts, error, result FROM tasks WHERE id = $1', [id])).rows[0];
  const until = (id: string, status: string, timeoutMs = 30_000) => eventually(async () => (await statusOf(id)) === status, timeoutMs, `${id} ${status}`);
  /** The wait before each retry: from its RETRYING event to the next IN_PROGRESS one. */
  const retryWaits = async (id: string) => {
    const { rows } = await suite.sql.query<{ status: string; attempt: number; at: Date }>(
      "SELECT status, attempt, at FROM task_events WHERE task_id = $1 AND status IN ('IN_PROGRESS', 'RETRYING') ORDER BY id",
      [id],
    );
    const waits: number[] = [];
    for (let i = 0; i + 1 < rows.length; i++) {
      if (rows[i].status === 'RETRYING' && rows[i + 1].status === 'IN_PROGRESS') waits.push(rows[i + 1].at.getTime() - rows[i].at.getTime());
    }
    return waits;
  };
  const hookFailures = async (type: string, hook: string) =>
    (await worker.get(MetricsService).taskHookFailures.get()).values.find((v) => v.labels.type === type && v.labels.hook === hook)?.value ?? 0;

  /** Six limited tasks, then four free ones in the same queue: the free ones finish while two limited ones run, never more. */
  const concurrencyScenario = async () => {
    limited.most = 0;
    const limitedTasks = [];
    for (let i = 0; i < 6; i++) limitedTasks.push(await create({ title: `limited ${i}`, type: 'policy.limited' }));
    const freeTasks = [];
    for (let i = 0; i < 4; i++) freeTasks.push(await create({ title: `free ${i}`, type: 'policy.free' }));

    // The free tasks, created after the six limited ones in the same queue, finish while the limited ones wait.
    for (const task of freeTasks) await until(task.id, 'COMPLETED');
    await eventually(async () => limitedGate.waiting === 2, 10_000, 'two limited handlers');
    expect(limited.running).toBe(2);
    const statuses = await Promise.all(limitedTasks.map((t) => statusOf(t.id)));
    expect(statuses.filter((s) => s === 'COMPLETED')).toHaveLength(0);

    // Let them through two by two.
    for (;;) {
      const done = (await Promise.all(limitedTasks.map((t) => statusOf(t.id)))).filter((s) => s === 'COMPLETED').length;
      if (done === limitedTasks.length) break;
      limitedGate.open();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(limited.most).toBe(2);
  };

  beforeAll(async () => {
    suite = await Suite.create('policy', { RETRY_DELAYS_SECONDS: '30', MAX_RETRIES: '1', TASK_TIMEOUT_SECONDS: '60', WORKER_PREFETCH: '10' });
    db = suite.sql;
    api = await suite.startApi({}, POLICY_HANDLERS);
    relay = await suite.startRelay({}, POLICY_HANDLERS);
    worker = await suite.startWorker({}, POLICY_HANDLERS);
  });

  afterAll(async () => {
    limitedGate.open();
    await suite?.teardown();
  });

  it('declares the same delay queues in every app: the ladder and the steps of the types, and they exist on the broker', async () => {
    const apps = [api.app, relay, worker];
    for (const app of apps) await app.get(AmqpConnectionService).topologyReady();
    const delayQueues = (app: INestApplicationContext) =>
      app
        .get(AmqpConnectionService)
        .topology.queues.filter((q) => q.name.startsWith('tasks.retry.'))
        .map((q) => q.name);

    // 30 s of the ladder; 1 s (fixed); exponential from 1 s capped at 60 s: 1, 2, 4, 8, 16 → 15, 32 → 30, 60.
    const expected = [30, 1, 2, 4, 8, 15, 60].map(retryQueueName);
    for (const app of apps) expect(delayQueues(app)).toEqual(expected);
    for (const app of apps) expect(app.get(AmqpConnectionService).topology).toEqual(worker.get(AmqpConnectionService).topology);
    for (const name of expected) await expect(suite.queueDepth(name)).resolves.toBe(0);
  });

  it('refuses to build a worker whose type has a bad policy, naming the type and the field', () => {
    @TaskHandler({ type: 'policy.bad', payload: EmptyPayload, description: 'Test only: a bad policy.', concurrency: 0 })
    class BadPolicyHandler {
      async run(): Promise<unknown> {
        return {};
      }
    }

    expect(() => WorkerModule.forRoot(suite.config(), [...TASK_HANDLERS, BadPolicyHandler])).toThrow(
      "Task type 'policy.bad' of BadPolicyHandler has an invalid policy: concurrency must be a whole number from 1 to 1000 (got 0)",
    );
  });

  it('waits each retry of a type its own step: fixed 1 s every time, exponential 1, 2, 4 s', async () => {
    const fixed = await create({ title: 'fixed', type: 'policy.fixed' });
    const exponential = await create({ title: 'exponential', type: 'policy.exponential' });
    await until(fixed.id, 'FAILED');
    await until(exponential.id, 'FAILED');

    const fixedWaits = await retryWaits(fixed.id);
    const exponentialWaits = await retryWaits(exponential.id);
    process.stderr.write(`retry waits (ms): fixed ${fixedWaits.join(', ')}; exponential ${exponentialWaits.join(', ')}\n`);
    expect(fixedWaits).toHaveLength(3);
    for (const wait of fixedWaits) {
      expect(wait).toBeGreaterThanOrEqual(1000);
      expect(wait).toBeLessThan(1000 + TOLERANCE_MS);
    }
    expect(exponentialWaits).toHaveLength(3);
    [1, 2, 4].forEach((step, k) => {
      expect(exponentialWaits[k]).toBeGreaterThanOrEqual(step * 1000);
      // Far below the next step up (2, 4, 8 s) for 2 s and 4 s, and the 30 s of the global ladder.
      expect(exponentialWaits[k]).toBeLessThan(step * 1000 + TOLERANCE_MS);
    });
    // Not stuck on its first step: the third wait is at least four times the first step.
    expect(exponentialWaits[2]).toBeGreaterThanOrEqual(4000);
    for (const step of [1, 2, 4]) expect(await suite.queueDepth(retryQueueName(step))).toBe(0);
    await suite.drainQueue('tasks.dlq');
  });

  it("gives a task its type's maxAttempts unless the request sets its own", async () => {
    const byType = await create({ title: 'by type', type: 'policy.fixed', payload: { times: 2 } });
    const byRequest = await create({ title: 'by request', type: 'policy.fixed', maxAttempts: 2 });
    const global = await create({ title: 'global', type: 'policy.free' });

    expect([byType.maxAttempts, byRequest.maxAttempts, global.maxAttempts]).toEqual([4, 2, 2]);
    await until(byType.id, 'COMPLETED');
    await until(byRequest.id, 'FAILED');
    expect(await row(byType.id)).toMatchObject({ attempts: 3, max_attempts: 4, result: { attempt: 3 } });
    expect(await row(byRequest.id)).toMatchObject({ attempts: 2, max_attempts: 2 });
    await suite.drainQueue('tasks.dlq');
  });

  it("aborts an attempt after its type's timeoutSeconds, not TASK_TIMEOUT_SECONDS", async () => {
    const started = Date.now();
    const task = await create({ title: 'slow', type: 'policy.slow' });

    await until(task.id, 'FAILED', 20_000);

    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await row(task.id)).toMatchObject({ attempts: 1, error: 'timed out after 1 s (timeoutSeconds of policy.slow)' });
    await suite.drainQueue('tasks.dlq');
  });

  it('runs at most concurrency tasks of a type at once, while other types queued behind them run', async () => {
    await concurrencyScenario();
  });

  it('does the same on a worker that serves one queue, whose parked messages would fill a subscription', async () => {
    await suite.stop(worker);
    // Two running and three parked limited tasks would be all five messages a subscription's prefetch allows.
    worker = await suite.startWorker({ WORKER_QUEUES: 'tasks.medium', WORKER_PREFETCH: '5' }, POLICY_HANDLERS);

    await concurrencyScenario();
  });

  it('runs onError then onSuccess once each, after the status they follow is committed', async () => {
    const task = await create({ title: 'fails once', type: 'policy.hooked', payload: { times: 1 } });
    await until(task.id, 'COMPLETED');
    await eventually(async () => hookCalls.filter((c) => c.taskId === task.id).length >= 2, 5_000, 'two hook calls');
    // Time for a second call of either, if there were one.
    await new Promise((resolve) => setTimeout(resolve, 1500));

    expect(hookCalls.filter((c) => c.taskId === task.id)).toEqual([
      { taskId: task.id, hook: 'onError', contextStatus: 'RETRYING', statusInDatabase: 'RETRYING', willRetry: true, error: 'attempt 1 fails' },
      { taskId: task.id, hook: 'onSuccess', contextStatus: 'COMPLETED', statusInDatabase: 'COMPLETED', result: { attempt: 2 } },
    ]);
  });

  it('tells onError that the last attempt will not be retried, after FAILED is committed', async () => {
    const task = await create({ title: 'always fails', type: 'policy.hooked' });
    await until(task.id, 'FAILED');
    await eventually(async () => hookCalls.filter((c) => c.taskId === task.id).length >= 2, 5_000, 'two hook calls');
    await new Promise((resolve) => setTimeout(resolve, 1500));

    expect(hookCalls.filter((c) => c.taskId === task.id).map((c) => [c.hook, c.contextStatus, c.statusInDatabase, c.willRetry])).toEqual([
      ['onError', 'RETRYING', 'RETRYING', true],
      ['onError', 'FAILED', 'FAILED', false],
    ]);
    await suite.drainQueue('tasks.dlq');
  });

  it('runs onError once for a task cancelled while it runs, after CANCELLED is committed', async () => {
    const task = await create({ title: 'cancel me', type: 'policy.cancellable' });
    await until(task.id, 'IN_PROGRESS');

    await request(api.getHttpServer()).delete(`/api/v1/tasks/${task.id}`).expect(202);

    await until(task.id, 'CANCELLED');
    await eventually(async () => hookCalls.some((c) => c.taskId === task.id), 5_000, 'the hook call');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(hookCalls.filter((c) => c.taskId === task.id)).toEqual([
      { taskId: task.id, hook: 'onError', contextStatus: 'CANCELLED', statusInDatabase: 'CANCELLED', willRetry: false, error: 'TaskCancelledError' },
    ]);
  });

  it.each([
    ['throws', 0],
    ['rejects', 1],
    ["never settles (given up after the type's timeoutSeconds)", 2],
  ])('keeps the outcome when a hook %s, and counts it', async (_label, how) => {
    for (const fail of [false, true]) {
      const hook = fail ? 'onError' : 'onSuccess';
      const before = await hookFailures('policy.bad-hook', hook);
      const task = await create({ title: `bad hook ${how}`, type: 'policy.bad-hook', payload: { fail, how } });

      await until(task.id, fail ? 'FAILED' : 'COMPLETED');
      await eventually(async () => (await hookFailures('policy.bad-hook', hook)) === before + 1, 10_000, 'the hook failure counted');

      expect(await row(task.id)).toMatchObject({ status: fail ? 'FAILED' : 'COMPLETED', attempts: 1 });
      expect(badHookRuns.get(task.id)).toBe(1);
    }
    await suite.drainQueue('tasks.dlq');
  });

  it("shows each type's effective policy at GET /task-types", async () => {
    const { body } = await request(api.getHttpServer()).get('/api/v1/task-types').expect(200);
    const policyOf = (type: string) => body.items.find((t: { type: string }) => t.type === type).policy;

    expect(policyOf('policy.exponential')).toEqual({
      maxAttempts: 4,
      retry: { backoff: 'exponential', initialDelaySeconds: 1, maxDelaySeconds: 60, delaysSeconds: [1, 2, 4] },
      timeoutSeconds: 60,
      concurrency: null,
      batch: null,
    });
    expect(policyOf('policy.limited')).toEqual({
      maxAttempts: 2,
      retry: { backoff: 'ladder', initialDelaySeconds: null, maxDelaySeconds: null, delaysSeconds: [30] },
      timeoutSeconds: 60,
      concurrency: 2,
      batch: null,
    });
  });
});

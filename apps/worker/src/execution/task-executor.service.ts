import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '#config';
import {
  type Claim,
  DatabaseService,
  type Finish,
  type FinishedStatus,
  isDataRejected,
  isIllegalStatusTransition,
  TaskExecutionRepository,
  type ClaimedTask,
} from '#database';
import {
  DEAD_LETTER_EXCHANGE,
  DEAD_LETTER_HEADERS,
  deadLetterMessage,
  type Delivery,
  MessagePublisher,
  parseTaskMessage,
  retryMessage,
  type TaskMessage,
} from '#messaging';
import { currentLogContext, type LogContext, MetricsService, UNKNOWN_LABEL, type WorkerOutcome, withLogContext } from '#observability';
import {
  type AnyTaskHandler,
  type BatchItem,
  type BatchTaskHandlerContract,
  type EffectiveTaskPolicy,
  PermanentTaskError,
  type PolicyDefaults,
  policyDefaults,
  resolveTaskPolicy,
  type TaskHookContext,
  TaskPriority,
  TaskRegistry,
  TaskStatus,
} from '#tasks';
import { BatchGatherer, BatchResultMismatchError } from './batch-gatherer.js';
import { GroupCommit, type ItemResult } from './group-commit.js';
import { OutcomeSummary } from './outcome-summary.js';
import { ResultNotStorableError } from './storable.js';
import { LeaseLostError, TaskCancelledError, TaskTimeoutError, WorkerShutdownError } from './abort-reasons.js';
import {
  type AttemptOutcome,
  decideOutcome,
  decideUnstorableResult,
  type OutcomeContext,
  type OutcomeDecision,
  outcomeWithoutRunning,
} from './outcome-decision.js';

/** The priorities a metric label may name; anything else counts as `unknown`. */
const PRIORITIES: ReadonlySet<string> = new Set(Object.values(TaskPriority));

/** How often the worker logs what its deliveries came to, when anything happened. */
const SUMMARY_INTERVAL_MS = 10_000;

/**
 * Claim statements, and outcome statements, in flight at once. Two let one batch be written
 * while the next one fills, without taking more of the pool than the heartbeat and a few
 * progress reports leave.
 */
const WRITES_IN_FLIGHT = 2;

/** The labels of the worker's per-task metrics. */
type TaskLabels = Readonly<{ type: string; priority: string }>;

/** A decision that writes a status; the executor handles the other two (hand-back, abandon) itself. */
type StatusDecision = Exclude<OutcomeDecision, { action: 'hand-back' | 'abandon' }>;

/** A claimed task of a batch type, waiting in its type's gatherer or running in a batch. */
interface BatchEntry {
  readonly task: ClaimedTask;
  readonly attempt: Attempt;
}

/** One attempt this worker holds, keyed by its claim token (two deliveries of one task are two claims). */
interface Attempt {
  readonly claim: Claim;
  readonly controller: AbortController;
  /** Monotonic time (ms) at which the request of the last renewal Postgres accepted (or of the claim) was sent. */
  renewedSentAt: number;
  /** Fires when the lease could run out before a renewal arrives: the handler must have stopped by then. */
  deadline?: NodeJS.Timeout;
  /** Set once the lease is gone; the attempt then writes nothing more (a write in progress stops retrying). */
  lost: boolean;
  /** The task's log fields, for lines written outside its own context (a cancel, the heartbeat). */
  readonly log: LogContext;
}

/**
 * Runs one delivery: claim the task with a guarded UPDATE that starts a short lease
 * (TASK_LEASE_SECONDS), run its handler while a heartbeat renews the lease, write the outcome
 * (fenced by the claim token), and only then acknowledge.
 *
 * Claims and outcomes are written by group commit: deliveries that arrive together are claimed
 * in one statement, and outcomes that are ready together are written in one statement, each row
 * matching or fenced on its own (at most WORKER_WRITE_BATCH per statement, two statements of
 * each kind in flight). What arrives while those statements run goes into the next ones; a lone
 * delivery waits for nothing. Each message is acknowledged only after the statement that wrote
 * its outcome answered (and so committed). A delivery whose claim matches nothing
 * (a duplicate, a redelivery while another worker's lease is live, a late message, a cancelled or
 * finished task) is acknowledged without running.
 *
 * Ownership of an attempt is the lease in Postgres, not the AMQP channel: a channel closes for
 * reasons that do not end ownership (the broker's consumer_timeout, a blip), so a handler keeps
 * running when its channel closes, the redelivered copy is skipped wherever it lands while the
 * lease is live, and the late acknowledgement on the dead channel is a no-op. A handler stops
 * when its lease is lost: the heartbeat finds it taken over, or cannot renew it before it could
 * expire.
 */
@Injectable()
export class TaskExecutor implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('TaskExecutor');
  readonly workerId = `${hostname()}:${process.pid}`;
  /** Running attempts by claim token. */
  private readonly running = new Map<string, Attempt>();
  private heartbeat?: NodeJS.Timeout;
  private beating = false;
  /** Called when a claim or a status write fails: the worker stops taking messages for a while. */
  onDatabaseTrouble: () => void = () => undefined;
  /** Called after a claim Postgres answered: the worker's back-off starts again from its shortest step. */
  onClaimAnswered: () => void = () => undefined;
  /** Each registered type's handler instance, resolved once at start. */
  private readonly handlers = new Map<string, AnyTaskHandler>();
  /** The gatherer of each batch type (a type that declares `batch`), made once at start. */
  private readonly gatherers = new Map<string, BatchGatherer<BatchEntry, unknown>>();
  /** Each registered type's policy, its own settings over the global ones, resolved once at start. */
  private readonly policies = new Map<string, EffectiveTaskPolicy>();
  private readonly defaults: PolicyDefaults;
  /** Hooks running now, aborted with the handlers when shutdown runs past its deadline. */
  private readonly hooks = new Set<AbortController>();
  private readonly claims: GroupCommit<Claim, ClaimedTask | null>;
  private readonly outcomes: GroupCommit<Finish, FinishedStatus | null>;
  private readonly summary = new OutcomeSummary(performance.now());
  private summaryTimer?: NodeJS.Timeout;
  /** Metric label sets by type, priority and outcome; see {@link labels}. */
  private readonly labelSets = new Map<string, TaskLabels>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly database: DatabaseService,
    private readonly execution: TaskExecutionRepository,
    private readonly registry: TaskRegistry,
    private readonly publisher: MessagePublisher,
    private readonly metrics: MetricsService,
    private readonly moduleRef: ModuleRef,
  ) {
    const { writeBatch } = config.worker;
    this.defaults = policyDefaults(config);
    this.claims = new GroupCommit((claims) => this.claimBatch(claims), writeBatch, WRITES_IN_FLIGHT);
    this.outcomes = new GroupCommit((finishes) => this.finishBatch(finishes), writeBatch, WRITES_IN_FLIGHT);
  }

  onModuleInit(): void {
    for (const entry of this.registry.list()) {
      this.handlers.set(entry.type, this.moduleRef.get<AnyTaskHandler>(entry.handler, { strict: false }));
      const policy = this.registry.policy(entry.type, this.defaults)!;
      this.policies.set(entry.type, policy);
      if (policy.batch) {
        const type = entry.type;
        this.gatherers.set(type, new BatchGatherer(policy.batch.size, policy.batch.maxWaitMs, (entries) => this.runBatch(type, entries)));
      }
    }
    this.summaryTimer = setInterval(() => this.logSummary(), SUMMARY_INTERVAL_MS);
    this.summaryTimer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.summaryTimer);
    this.logSummary();
  }

  /** One line at info for what deliveries came to since the last one; nothing when nothing happened. */
  private logSummary(): void {
    const line = this.summary.take(performance.now(), { claims: this.claims.takeCounts(), outcomes: this.outcomes.takeCounts() });
    if (line) this.logger.log(line);
  }

  /**
   * Counts an outcome for the metrics and the summary line, where it is decided (one counter
   * increment: no query). The labels are bounded: a type no handler here knows, or a priority
   * that is not one, counts as `unknown`, so a stray message cannot add series.
   */
  private count(task: { type: string; priority: string }, outcome: WorkerOutcome | FinishedStatus): void {
    this.metrics.taskOutcomes.inc(this.labels(task, outcome));
    this.summary.add(outcome);
  }

  /**
   * The labels of `task` (with `outcome`, for the outcome counter), made once per set and kept:
   * there are only as many sets as types here times priorities (times outcomes), and a delivery
   * then makes no label object of its own.
   */
  private labels(task: { type: string; priority: string }): TaskLabels;
  private labels(task: { type: string; priority: string }, outcome: WorkerOutcome | FinishedStatus): TaskLabels & { outcome: string };
  private labels(task: { type: string; priority: string }, outcome = ''): TaskLabels {
    const type = this.handlers.has(task.type) ? task.type : UNKNOWN_LABEL;
    const priority = PRIORITIES.has(task.priority) ? task.priority : UNKNOWN_LABEL;
    const key = `${type}\n${priority}\n${outcome}`;
    let labels = this.labelSets.get(key);
    if (!labels) {
      labels = Object.freeze(outcome ? { type, priority, outcome } : { type, priority });
      this.labelSets.set(key, labels);
    }
    return labels;
  }

  /**
   * The wait of a first attempt: from the task's creation, or its runAt when later, to the claim
   * that starts it, both on the database's clock (created_at and the claim's started_at), so no
   * clock skew between hosts enters it. Later attempts wait for their retry delay by design and
   * are left out.
   */
  private observeWait(task: ClaimedTask): void {
    if (!task.started_at) return;
    const from = Math.max(task.created_at.getTime(), task.run_at?.getTime() ?? 0);
    this.metrics.taskWaitDuration.observe(this.labels(task), Math.max(0, task.started_at.getTime() - from) / 1000);
  }

  private get leaseMs(): number {
    return this.config.worker.leaseSeconds * 1000;
  }

  /**
   * How long after sending a renewal the handler may still run without a newer one: the lease
   * less a margin (a sixth of it, at least 500 ms) for timers that fire late. Postgres starts the
   * lease when it runs the statement, after it was sent, so stopping before this is stopping
   * before another worker can take over.
   */
  private get holdMs(): number {
    return this.leaseMs - Math.max(500, this.leaseMs / 6);
  }

  /**
   * Shutdown has begun: batches being gathered run now with what they have, and each item
   * claimed from now on runs at once, so no task waits out maxWaitMs while the worker drains.
   */
  flushBatches(): void {
    for (const gatherer of this.gatherers.values()) gatherer.flush();
  }

  /** Aborts every running handler and hook: used when shutdown runs past its deadline. */
  abortAll(): void {
    for (const attempt of this.running.values()) attempt.controller.abort(new WorkerShutdownError());
    for (const hook of this.hooks) hook.abort(new WorkerShutdownError());
  }

  /** The policy of `type`; the global settings for a type this worker does not know. */
  private policyOf(type: string): EffectiveTaskPolicy {
    return this.policies.get(type) ?? resolveTaskPolicy({}, this.defaults);
  }

  /**
   * A control message: abort the task if it runs here. The heartbeat also carries a cancel
   * request, so a control message lost while this worker reconnected only delays the abort by
   * up to a third of the lease.
   */
  cancel(taskId: string): void {
    for (const attempt of this.running.values()) {
      if (attempt.claim.taskId !== taskId || attempt.controller.signal.aborted) continue;
      this.logger.debug('cancelling the running task', attempt.log);
      attempt.controller.abort(new TaskCancelledError());
    }
  }

  async execute(delivery: Delivery): Promise<void> {
    const message = parseTaskMessage(delivery.message.content);
    if (typeof message === 'string') return this.rejectPoison(delivery, message);
    // Every line written while this delivery is handled carries the task's fields, in the
    // promises and timers it starts too (AsyncLocalStorage).
    const log: LogContext = { taskId: message.taskId, type: message.type, attempt: message.attempt, correlationId: message.correlationId || message.taskId };
    if (!delivery.open) {
      // Its channel closed while it waited in our buffer: the broker has requeued it already.
      this.count(message, 'STALE_DELIVERY');
      this.logger.debug('dropped a delivery whose channel closed before it started', log);
      return;
    }
    try {
      await withLogContext(log, () => this.executeTask(delivery, message));
    } catch (error) {
      // The claim or the outcome could not be written. The message is a valid task message, so
      // it is never poison: hand it back and stop taking messages for a while, whatever the
      // error (unreachable, too many connections, a cancelled statement, a deadlock, read-only).
      this.logger.error(`claim or status write failed: ${(error as Error).message}; handing the message back`, { ...log, err: error });
      this.count(message, 'HANDED_BACK');
      this.onDatabaseTrouble();
      delivery.nack(true);
    }
  }

  private async executeTask(delivery: Delivery, message: TaskMessage): Promise<void> {
    const claim: Claim = { taskId: message.taskId, attempt: message.attempt, token: `${this.workerId}:${randomUUID()}` };
    const sentAt = performance.now();
    // Sent with the next claim statement, so no later than now: the lease is counted from here.
    const task = await this.claims.submit(claim);
    this.onClaimAnswered();
    if (!task) {
      this.count(message, 'SKIPPED');
      this.logger.debug('skipped a message: the task is not waiting for it, or a live lease holds it');
      delivery.ack();
      return;
    }
    // A take-over is a new attempt: the claim may have moved the count on. The lines written
    // from here on say so: the log context of this delivery (made for it alone by execute) takes
    // the attempt claimed, rather than a second, nested context per task.
    claim.attempt = task.attempts;
    const scope = currentLogContext();
    if (scope) scope.attempt = claim.attempt;
    if (claim.attempt === 1) this.observeWait(task);
    await this.runClaimed(delivery, task, claim, sentAt);
  }

  /** Runs a claimed task's handler, writes its outcome, then acknowledges its message. */
  private async runClaimed(delivery: Delivery, task: ClaimedTask, claim: Claim, sentAt: number): Promise<void> {
    this.logger.debug('task claimed: running its handler', { priority: task.priority, maxAttempts: task.max_attempts });
    const attempt = this.hold(claim, sentAt, { taskId: task.id, type: task.type, attempt: claim.attempt, correlationId: task.correlation_id });
    let committed: { status: string; outcome: AttemptOutcome } | undefined;
    try {
      const outcome =
        outcomeWithoutRunning({ cancelRequested: task.cancel_requested_at !== null, attempt: claim.attempt, maxAttempts: task.max_attempts }) ??
        (await this.run(task, attempt));
      const decision = decideOutcome(outcome, this.outcomeContext(task, claim));
      if (decision.action === 'hand-back') {
        // Not the task's fault: hand it back, with the lease ended so its redelivery takes over.
        await this.execution.releaseLease(this.database, claim).catch(() => false);
        this.count(task, 'HANDED_BACK');
        delivery.nack(true);
        return;
      }
      if (decision.action === 'abandon') {
        // Another worker may hold it now: write nothing. The copy handed back is skipped while
        // a live lease holds the task, or takes it over once the lease has expired.
        this.count(task, 'LEASE_LOST');
        this.logger.warn(`task ${decision.why}; stopped without writing`);
        delivery.nack(true);
        return;
      }
      const status = await this.record(task, attempt, decision);
      this.count(task, status);
      // Acknowledge only after the status it caused is committed. On a channel that closed
      // meanwhile this does nothing: the redelivered copy finds the task finished and is skipped.
      delivery.ack();
      committed = { status, outcome };
    } finally {
      this.letGo(attempt);
    }
    // After the commit and the acknowledgement, outside the lease: a hook changes nothing about the task.
    await this.runHook(task, claim.attempt, committed.status, committed.outcome);
  }

  /**
   * The handler's onSuccess (after COMPLETED) or onError (after RETRYING, FAILED or CANCELLED),
   * once per outcome this worker committed; nothing after SUPERSEDED. It keeps the delivery's
   * slot while it runs, so hooks are bounded by WORKER_PREFETCH and a shutdown waits for them,
   * but at most for the type's timeoutSeconds: a hook that hangs is given up then (its signal
   * fires). A hook that throws, rejects or is given up is logged and counted, and that is all.
   */
  private async runHook(task: ClaimedTask, attempt: number, status: string, outcome: AttemptOutcome): Promise<void> {
    const handler = this.handlers.get(task.type);
    if (!handler) return;
    const hook = status === 'COMPLETED' ? 'onSuccess' : status === 'RETRYING' || status === 'FAILED' || status === 'CANCELLED' ? 'onError' : undefined;
    if (!hook || typeof handler[hook] !== 'function') return;
    const { timeoutSeconds } = this.policyOf(task.type);
    const controller = new AbortController();
    const context: TaskHookContext = {
      taskId: task.id,
      type: task.type,
      attempt,
      maxAttempts: task.max_attempts,
      correlationId: task.correlation_id,
      status: status as TaskHookContext['status'],
      signal: controller.signal,
    };
    const timer = setTimeout(() => controller.abort(new Error(`still running after ${timeoutSeconds} s`)), timeoutSeconds * 1000);
    this.hooks.add(controller);
    try {
      const called =
        hook === 'onSuccess'
          ? handler.onSuccess!(outcome.ok ? outcome.result : undefined, context)
          : handler.onError!(hookError(status, outcome), context, { willRetry: status === 'RETRYING' });
      await Promise.race([Promise.resolve(called), rejectOnAbort(controller.signal)]);
    } catch (error) {
      this.metrics.taskHookFailures.inc({ type: task.type, hook });
      this.logger.error(`task ${task.id} (${task.type}) ${hook} hook failed: ${describe(error)}; the task stays ${status}`);
    } finally {
      clearTimeout(timer);
      this.hooks.delete(controller);
    }
  }

  /**
   * One claim statement for every claim in `claims`. One claim alone uses the single-row
   * statement. Should the batch statement fail on one row's data (a value Postgres refuses) or
   * on the status machine's trigger, each claim is retried on its own, so that row fails alone;
   * any other error fails every claim of the batch, and each message is handed back.
   */
  private async claimBatch(claims: readonly Claim[]): Promise<ItemResult<ClaimedTask | null>[]> {
    const leaseSeconds = this.config.worker.leaseSeconds;
    if (claims.length > 1) {
      try {
        const claimed = await this.execution.claimMany(this.database, claims, leaseSeconds);
        return claims.map((claim) => ({ ok: true, value: claimed.get(claim.token) ?? null }));
      } catch (error) {
        if (!isDataRejected(error) && !isIllegalStatusTransition(error)) throw error;
        this.logger.warn(`a batch of ${claims.length} claims failed on one row (${(error as Error).message}): claiming them one by one`, error);
      }
    }
    return settleEach(claims, (claim) => this.execution.claim(this.database, claim, leaseSeconds));
  }

  /**
   * One outcome statement for every finish in `finishes`, each row fenced by its own token. One
   * finish alone uses its single-row statement. Should the batch statement fail on one row's
   * data or on the status machine's trigger, each finish is written on its own, so that row fails
   * (or is reported fenced out) alone; any other error fails every finish of the batch, and each
   * attempt's retry writes it again.
   */
  private async finishBatch(finishes: readonly Finish[]): Promise<ItemResult<FinishedStatus | null>[]> {
    if (finishes.length > 1) {
      try {
        const written = await this.execution.finishMany(this.database, finishes);
        return finishes.map((finish) => ({ ok: true, value: written.get(finish.claim.token) ?? null }));
      } catch (error) {
        if (!isDataRejected(error) && !isIllegalStatusTransition(error)) throw error;
        this.logger.warn(`a batch of ${finishes.length} outcomes failed on one row (${(error as Error).message}): writing them one by one`, error);
      }
    }
    return settleEach(finishes, (finish) => this.execution.finishOne(this.database, finish));
  }

  private outcomeContext(task: ClaimedTask, claim: Claim): OutcomeContext {
    return {
      attempt: claim.attempt,
      maxAttempts: task.max_attempts,
      retry: this.policyOf(task.type).retry,
      resultMaxBytes: this.config.worker.resultMaxBytes,
    };
  }

  /** Registers an attempt for the heartbeat, with the deadline its claim's lease allows. */
  private hold(claim: Claim, sentAt: number, log: LogContext): Attempt {
    const attempt: Attempt = { claim, controller: new AbortController(), renewedSentAt: sentAt, lost: false, log };
    this.running.set(claim.token, attempt);
    this.armDeadline(attempt);
    this.heartbeat ??= setInterval(() => void this.beat(), Math.floor(this.leaseMs / 3));
    return attempt;
  }

  private letGo(attempt: Attempt): void {
    clearTimeout(attempt.deadline);
    this.running.delete(attempt.claim.token);
    if (this.running.size === 0 && this.heartbeat) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
  }

  private armDeadline(attempt: Attempt): void {
    clearTimeout(attempt.deadline);
    const left = attempt.renewedSentAt + this.holdMs - performance.now();
    attempt.deadline = setTimeout(
      () => {
        if (this.running.get(attempt.claim.token) !== attempt) return;
        const since = ((performance.now() - attempt.renewedSentAt) / 1000).toFixed(1);
        this.loseLease(attempt, `no renewal reached Postgres for ${since} s of a ${this.config.worker.leaseSeconds} s lease`);
      },
      Math.max(0, left),
    );
  }

  /** Aborts the handler (a no-op when it already stopped for another reason) and stops its writes. */
  private loseLease(attempt: Attempt, why: string): void {
    attempt.lost = true;
    attempt.controller.abort(new LeaseLostError(why));
  }

  /**
   * The heartbeat: one statement renews every lease this worker holds. An attempt missing from
   * the answer was taken over or released, and its handler is aborted; one whose task has a
   * cancel request is aborted as cancelled. A failed renewal changes nothing: each attempt's
   * deadline aborts it if no renewal arrives in time. Attempts whose handler already stopped are
   * renewed too: their status write may still be on its way.
   */
  private async beat(): Promise<void> {
    if (this.beating) return;
    const attempts = [...this.running.values()].filter((a) => !a.lost);
    if (attempts.length === 0) return;
    this.beating = true;
    const sentAt = performance.now();
    try {
      const renewed = await this.execution.renewLeases(
        this.database,
        attempts.map((a) => a.claim),
        this.config.worker.leaseSeconds,
      );
      const byToken = new Map(renewed.map((r) => [r.token, r]));
      for (const attempt of attempts) {
        if (this.running.get(attempt.claim.token) !== attempt) continue;
        const lease = byToken.get(attempt.claim.token);
        if (!lease) {
          this.loseLease(attempt, 'the task was taken over or released');
        } else {
          attempt.renewedSentAt = sentAt;
          this.armDeadline(attempt);
          if (lease.cancelRequested && !attempt.controller.signal.aborted) {
            this.logger.debug('cancelling the running task: the heartbeat saw its cancel request', attempt.log);
            attempt.controller.abort(new TaskCancelledError());
          }
        }
      }
    } catch (error) {
      this.logger.warn(`lease renewal failed: ${(error as Error).message}`, error);
    } finally {
      this.beating = false;
    }
  }

  /** Runs the handler under an AbortSignal that fires on time-out, cancel, lost lease or forced shutdown. */
  private async run(task: ClaimedTask, attempt: Attempt): Promise<AttemptOutcome> {
    const { controller, claim } = attempt;
    const gatherer = this.gatherers.get(task.type);
    // A batch type's time-out runs from the start of the batch (see runBatch), not from the claim.
    const timeout = gatherer ? undefined : this.armTimeout(task.type, [controller]);
    const started = performance.now();
    this.metrics.tasksInFlight.inc();
    try {
      const running = gatherer ? this.submitToBatch(gatherer, task, attempt) : this.runHandler(task, claim, controller.signal);
      return { ok: true, result: await running };
    } catch (error) {
      return { ok: false, error: controller.signal.aborted ? controller.signal.reason : error };
    } finally {
      clearTimeout(timeout);
      this.metrics.tasksInFlight.dec();
      this.metrics.taskRunDuration.observe(this.labels(task), (performance.now() - started) / 1000);
    }
  }

  /** Aborts each of `controllers` with a time-out after the type's timeoutSeconds. */
  private armTimeout(type: string, controllers: readonly AbortController[]): NodeJS.Timeout {
    const { timeoutSeconds } = this.policyOf(type);
    const source = this.registry.get(type)?.timeoutSeconds === undefined ? 'TASK_TIMEOUT_SECONDS' : `timeoutSeconds of ${type}`;
    return setTimeout(() => {
      const reason = new TaskTimeoutError(timeoutSeconds, source);
      for (const controller of controllers) controller.abort(reason);
    }, timeoutSeconds * 1000);
  }

  /**
   * A task of a batch type: its payload is checked on its own (a bad one fails this task alone,
   * before it joins a batch), then it waits for its batch's answer for it. Its own signal still
   * ends its wait at once (a cancel, a lost lease): the batch goes on without it.
   */
  private async submitToBatch(gatherer: BatchGatherer<BatchEntry, unknown>, task: ClaimedTask, attempt: Attempt): Promise<unknown> {
    this.registry.assertPayload(task.type, task.payload);
    return Promise.race([gatherer.submit({ task, attempt }), rejectOnAbort(attempt.controller.signal)]);
  }

  /**
   * One runBatch call for the gathered tasks of `type`. Items whose signal fired while they were
   * gathered are left out. The type's timeoutSeconds runs from here and, when it fires, aborts
   * every item (each fails as a time-out); the batch's own signal fires then, at shutdown past
   * its deadline, or once every item's signal fired. Each item's answer is mapped to its task: a
   * result completes it, an error fails this attempt of it alone.
   */
  private async runBatch(type: string, entries: readonly BatchEntry[]): Promise<ItemResult<unknown>[]> {
    const handler = this.handlers.get(type) as BatchTaskHandlerContract;
    const live = entries.filter((e) => !e.attempt.controller.signal.aborted);
    const aborted = (e: BatchEntry): ItemResult<unknown> => ({ ok: false, error: e.attempt.controller.signal.reason });
    if (live.length === 0) return entries.map(aborted);
    const batch = new AbortController();
    const onItemAbort = (event: Event) => {
      if (live.every((e) => e.attempt.controller.signal.aborted)) batch.abort((event.target as AbortSignal).reason);
    };
    for (const e of live) e.attempt.controller.signal.addEventListener('abort', onItemAbort, { once: true });
    const timeout = this.armTimeout(
      type,
      live.map((e) => e.attempt.controller),
    );
    try {
      const results: unknown = await handler.runBatch(
        live.map((e) => this.batchItem(e)),
        { type, signal: batch.signal },
      );
      if (!Array.isArray(results) || results.length !== live.length) throw new BatchResultMismatchError(live.length, results);
      const byEntry = new Map(live.map((e, i) => [e, results[i] as unknown]));
      return entries.map((e): ItemResult<unknown> => {
        if (!byEntry.has(e)) return aborted(e);
        const answer = byEntry.get(e) as { ok?: unknown; result?: unknown; error?: unknown } | null | undefined;
        if (answer?.ok === true) return { ok: true, value: answer.result };
        if (answer?.ok === false) return { ok: false, error: answer.error };
        return { ok: false, error: new Error(`runBatch's answer for task ${e.task.id} is neither { ok: true, result } nor { ok: false, error }`) };
      });
    } finally {
      clearTimeout(timeout);
      for (const e of live) e.attempt.controller.signal.removeEventListener('abort', onItemAbort);
    }
  }

  private batchItem({ task, attempt }: BatchEntry): BatchItem {
    const { claim, controller } = attempt;
    return {
      taskId: task.id,
      payload: task.payload,
      attempt: claim.attempt,
      maxAttempts: task.max_attempts,
      correlationId: task.correlation_id,
      signal: controller.signal,
      reportProgress: (percent: number) => this.reportProgress(claim, percent),
    };
  }

  private async reportProgress(claim: Claim, percent: number): Promise<void> {
    if (typeof percent !== 'number' || !Number.isFinite(percent)) return;
    const value = Math.max(0, Math.min(100, Math.round(percent)));
    await this.execution.reportProgress(this.database, claim, value).catch(() => false);
  }

  private async runHandler(task: ClaimedTask, claim: Claim, signal: AbortSignal): Promise<unknown> {
    const handler = this.handlers.get(task.type);
    if (!handler || !('run' in handler)) throw new PermanentTaskError(`no handler is registered for type '${task.type}' in this worker`);
    this.registry.assertPayload(task.type, task.payload);
    const running = handler.run(task.payload, {
      taskId: task.id,
      type: task.type,
      attempt: claim.attempt,
      maxAttempts: task.max_attempts,
      correlationId: task.correlation_id,
      signal,
      reportProgress: (percent: number) => this.reportProgress(claim, percent),
    });
    // A handler that ignores its signal still loses its slot when the signal fires; what it
    // does afterwards can no longer write (the claim is fenced).
    return untilAborted(running, signal);
  }

  /**
   * Writes what `decision` names: COMPLETED, CANCELLED, RETRYING (with its retry message) or
   * FAILED (with its DLQ copy); each write turns into CANCELLED when a cancel was requested
   * meanwhile. Returns the status written, or SUPERSEDED when the attempt had been taken over.
   */
  private async record(task: ClaimedTask, attempt: Attempt, decision: StatusDecision): Promise<FinishedStatus | 'SUPERSEDED'> {
    const { claim } = attempt;
    switch (decision.action) {
      case 'complete': {
        let written: FinishedStatus | null;
        try {
          written = await this.withDatabaseRetry(attempt, () => this.outcomes.submit({ action: 'complete', claim, resultJson: decision.resultJson }));
        } catch (error) {
          // Postgres refused the value itself (a check this worker does not make): the same
          // write would fail every time, so the task fails now with Postgres' reason.
          if (!isDataRejected(error)) throw error;
          return this.record(task, attempt, decideUnstorableResult(`PostgreSQL refused it: ${(error as Error).message}`, this.outcomeContext(task, claim)));
        }
        this.logger.debug(`task ${written ?? 'SUPERSEDED'}`, { status: written ?? 'SUPERSEDED' });
        return written ?? 'SUPERSEDED';
      }
      case 'cancel': {
        const written = await this.withDatabaseRetry(attempt, () => this.outcomes.submit({ action: 'cancel', claim }));
        this.logger.debug(`task ${written ?? 'SUPERSEDED'} while running`, { status: written ?? 'SUPERSEDED' });
        return written ?? 'SUPERSEDED';
      }
      case 'retry': {
        const { error, delaySeconds } = decision;
        const message = retryMessage(routeOf(task), decision.nextAttempt, delaySeconds);
        const written = await this.withDatabaseRetry(attempt, () => this.outcomes.submit({ action: 'retry', claim, error, delaySeconds, message }));
        this.logger.warn(
          `task failed attempt ${claim.attempt}/${task.max_attempts}: ${error}; ` +
            (written === 'RETRYING' ? `retrying in ${delaySeconds} s` : (written ?? 'SUPERSEDED')),
          { status: written ?? 'SUPERSEDED', maxAttempts: task.max_attempts, retryInSeconds: written === 'RETRYING' ? delaySeconds : undefined, err: error },
        );
        if (written === TaskStatus.RETRYING) this.metrics.taskRetries.inc(this.labels(task));
        return written ?? 'SUPERSEDED';
      }
      case 'fail': {
        const { error, reason, attempts } = decision;
        const deadLetter = deadLetterMessage(routeOf(task), { attempts, reason, error, failedAt: new Date() });
        const written = await this.withDatabaseRetry(attempt, () => this.outcomes.submit({ action: 'fail', claim, error, deadLetter }));
        this.logger.error(`task ${written ?? 'SUPERSEDED'} after attempt ${attempts}/${task.max_attempts} (${reason}): ${error}`, {
          status: written ?? 'SUPERSEDED',
          reason,
          maxAttempts: task.max_attempts,
          err: error,
        });
        // FAILED is written with its tasks.dlq copy in the same outbox statement (a cancel that won instead writes no copy).
        if (written === TaskStatus.FAILED) this.metrics.tasksDeadLettered.inc({ ...this.labels(task), reason });
        return written ?? 'SUPERSEDED';
      }
    }
  }

  /**
   * A status write survives a short outage or a transient refusal (deadlock, serialization
   * failure, too many connections) while the heartbeat keeps the lease; it gives up after ten
   * tries, when the lease is lost, or at once when Postgres refuses the data itself. The caller
   * then hands the message back.
   */
  private async withDatabaseRetry<T>(attempt: Attempt, write: () => Promise<T>, tries = 10): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await write();
      } catch (error) {
        if (i >= tries || attempt.lost || isDataRejected(error)) throw error;
        this.logger.warn(`status write failed (${(error as Error).message}); retrying`, error);
        await sleep(Math.min(250 * i, 3000));
      }
    }
  }

  /** A message that is not a task message goes to tasks.dlq with the reason, then is acknowledged. */
  private async rejectPoison(delivery: Delivery, reason: string): Promise<void> {
    this.logger.error(`unreadable message on ${delivery.queue} (${reason}): moved to tasks.dlq`, { queue: delivery.queue, reason });
    const unknown = { type: UNKNOWN_LABEL, priority: UNKNOWN_LABEL };
    this.count(unknown, 'POISON');
    // Either way below it lands in tasks.dlq: published there, or rejected into the queue's dead-letter exchange.
    this.metrics.tasksDeadLettered.inc({ ...unknown, reason: 'unreadable-message' });
    try {
      await this.publisher.publishRaw(DEAD_LETTER_EXCHANGE, '', delivery.message.content, {
        messageId: String(delivery.message.properties.messageId ?? randomUUID()),
        headers: {
          [DEAD_LETTER_HEADERS.reason]: 'unreadable-message',
          [DEAD_LETTER_HEADERS.error]: reason.slice(0, 1000),
          [DEAD_LETTER_HEADERS.originalQueue]: delivery.queue,
          [DEAD_LETTER_HEADERS.failedAt]: new Date().toISOString(),
        },
      });
      delivery.ack();
    } catch {
      // The queue's own dead-letter exchange is tasks.dlx: rejecting still lands it in tasks.dlq.
      delivery.nack(false);
    }
  }
}

/** The task as its messages name it; its queue group: its retry comes back to, and its DLQ copy names, its group's queue. */
function routeOf(task: ClaimedTask) {
  return { taskId: task.id, type: task.type, priority: task.priority, correlationId: task.correlation_id, queueGroup: task.queue_group };
}

/** The error onError is given: the attempt's own, or what ended it when its write became another status. */
function hookError(status: string, outcome: AttemptOutcome): Error {
  if (status === 'CANCELLED') return outcome.ok || !(outcome.error instanceof TaskCancelledError) ? new TaskCancelledError() : outcome.error;
  if (outcome.ok) return new ResultNotStorableError('the result could not be stored (the task error says why)');
  return outcome.error instanceof Error ? outcome.error : new Error(String(outcome.error));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

/**
 * `running`'s outcome, or the signal's reason as soon as it fires, whichever comes first: one
 * promise, where a race with a promise that only rejects on abort makes three.
 */
function untilAborted<T>(running: T | PromiseLike<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    Promise.resolve(running).then(resolve, reject);
  });
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** Runs `write` for each item at once; each item gets its own value or error. */
function settleEach<I, R>(items: readonly I[], write: (item: I) => Promise<R>): Promise<ItemResult<R>[]> {
  return Promise.all(
    items.map((item) =>
      write(item).then(
        (value): ItemResult<R> => ({ ok: true, value }),
        (error: unknown): ItemResult<R> => ({ ok: false, error }),
      ),
    ),
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

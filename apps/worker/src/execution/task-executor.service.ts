import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '#config';
import { type Claim, DatabaseService, isDatabaseUnavailable, TaskExecutionRepository, type TaskRow } from '#database';
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
import { MetricsService, withCorrelationId } from '#observability';
import { leaseSeconds, PermanentTaskError, retryDelaySeconds, type TaskHandlerContract, TaskRegistry } from '#tasks';
import { TaskCancelledError, TaskTimeoutError, WorkerShutdownError } from './abort-reasons.js';

type Outcome = { ok: true; result: unknown } | { ok: false; error: unknown };

/**
 * Runs one delivery: claim the task with a guarded UPDATE, run its handler, write the outcome
 * (fenced by the claim token), and only then acknowledge. A delivery whose claim matches
 * nothing (duplicate, late, cancelled, finished) is acknowledged without running.
 */
@Injectable()
export class TaskExecutor {
  private readonly logger = new Logger('TaskExecutor');
  readonly workerId = `${hostname()}:${process.pid}`;
  /** Running attempts by task id, so a cancel or a shutdown can abort them. */
  private readonly running = new Map<string, AbortController>();
  /** Called when Postgres cannot be reached, so the worker stops taking messages until it is back. */
  onDatabaseDown: () => void = () => undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly database: DatabaseService,
    private readonly execution: TaskExecutionRepository,
    private readonly registry: TaskRegistry,
    private readonly publisher: MessagePublisher,
    private readonly metrics: MetricsService,
    private readonly moduleRef: ModuleRef,
  ) {}

  /** Aborts every running handler: used when shutdown runs past its deadline. */
  abortAll(): void {
    for (const controller of this.running.values()) controller.abort(new WorkerShutdownError());
  }

  /**
   * A control message: abort the task if it runs here. A cancel can only be requested once the
   * claim committed, and the attempt is registered in the same tick the claim returns, so the
   * message cannot arrive in between; a worker that takes the task over later reads
   * `cancel_requested_at` in its claim instead.
   */
  cancel(taskId: string): void {
    const controller = this.running.get(taskId);
    if (controller) {
      this.logger.log(`cancelling running task ${taskId}`);
      controller.abort(new TaskCancelledError());
    }
  }

  async execute(delivery: Delivery): Promise<void> {
    const message = parseTaskMessage(delivery.message.content);
    if (typeof message === 'string') return this.rejectPoison(delivery, message);
    try {
      await withCorrelationId(message.correlationId || message.taskId, () => this.executeTask(delivery, message));
    } catch (error) {
      // The outcome could not be written: hand the message back unacknowledged. Its
      // redelivery takes the task over (the claim of this attempt stays fenced).
      this.logger.error(`task ${message.taskId}: ${(error as Error).message}; handing the message back`);
      if (isDatabaseUnavailable(error)) this.onDatabaseDown();
      delivery.nack(true);
    }
  }

  private async executeTask(delivery: Delivery, message: TaskMessage): Promise<void> {
    const claim: Claim = { taskId: message.taskId, attempt: message.attempt, token: `${this.workerId}:${randomUUID()}` };
    let task: TaskRow | null;
    try {
      task = await this.execution.claim(this.database, claim, leaseSeconds(this.config.worker.taskTimeoutSeconds), delivery.redelivered);
    } catch (error) {
      if (!isDatabaseUnavailable(error)) return this.rejectPoison(delivery, `the claim failed: ${(error as Error).message}`);
      this.logger.warn(`cannot claim task ${message.taskId}: ${(error as Error).message}; handing the message back`);
      this.onDatabaseDown();
      delivery.nack(true);
      return;
    }
    if (!task) {
      this.metrics.taskOutcomes.inc({ type: message.type, status: 'SKIPPED' });
      this.logger.debug(`skipped a message for task ${message.taskId} (attempt ${message.attempt}): not waiting for it`);
      delivery.ack();
      return;
    }
    // A take-over is a new attempt: the claim may have moved the count on.
    claim.attempt = task.attempts;

    let outcome: Outcome;
    if (task.cancel_requested_at) {
      outcome = { ok: false, error: new TaskCancelledError() };
    } else if (task.attempts > task.max_attempts) {
      outcome = { ok: false, error: new PermanentTaskError(`the worker running attempt ${task.max_attempts} was lost, and no attempts remain`) };
    } else {
      outcome = await this.run(task, claim);
    }

    if (!outcome.ok && outcome.error instanceof WorkerShutdownError) {
      // Not the task's fault: hand it back; the redelivery takes the task over.
      delivery.nack(true);
      return;
    }
    const status = await this.recordOutcome(task, claim, outcome);
    this.metrics.taskOutcomes.inc({ type: task.type, status });
    // Acknowledge only after the status it caused is committed.
    delivery.ack();
  }

  /** Runs the handler under an AbortSignal that fires on time-out, cancel or forced shutdown. */
  private async run(task: TaskRow, claim: Claim): Promise<Outcome> {
    const controller = new AbortController();
    this.running.set(task.id, controller);
    const timeout = setTimeout(() => controller.abort(new TaskTimeoutError(this.config.worker.taskTimeoutSeconds)), this.config.worker.taskTimeoutSeconds * 1000);
    const started = process.hrtime.bigint();
    this.metrics.tasksInFlight.inc();
    try {
      return { ok: true, result: await this.runHandler(task, claim, controller.signal) };
    } catch (error) {
      return { ok: false, error: controller.signal.aborted ? controller.signal.reason : error };
    } finally {
      clearTimeout(timeout);
      this.running.delete(task.id);
      this.metrics.tasksInFlight.dec();
      this.metrics.taskDuration.observe({ type: task.type }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  private async runHandler(task: TaskRow, claim: Claim, signal: AbortSignal): Promise<unknown> {
    const entry = this.registry.get(task.type);
    if (!entry) throw new PermanentTaskError(`no handler is registered for type '${task.type}' in this worker`);
    this.registry.assertPayload(task.type, task.payload);
    const handler = this.moduleRef.get<TaskHandlerContract>(entry.handler, { strict: false });
    const running = handler.run(task.payload, {
      taskId: task.id,
      type: task.type,
      attempt: claim.attempt,
      maxAttempts: task.max_attempts,
      correlationId: task.correlation_id,
      signal,
      reportProgress: async (percent: number) => {
        const value = Math.max(0, Math.min(100, Math.round(percent)));
        await this.execution.reportProgress(this.database, claim, value).catch(() => false);
      },
    });
    // A handler that ignores its signal still loses its slot when the signal fires; what it
    // does afterwards can no longer write (the claim is fenced).
    return Promise.race([running, rejectOnAbort(signal)]);
  }

  /** Writes COMPLETED, CANCELLED, RETRYING (with its retry message) or FAILED (with its DLQ copy). */
  private async recordOutcome(task: TaskRow, claim: Claim, outcome: Outcome): Promise<string> {
    const summary = { taskId: task.id, type: task.type, priority: task.priority, correlationId: task.correlation_id };
    if (outcome.ok) {
      const written = await this.withDatabaseRetry(() => this.execution.complete(this.database, claim, outcome.result));
      this.logger.log(`task ${task.id} (${task.type}) COMPLETED on attempt ${claim.attempt}`);
      return written ? 'COMPLETED' : 'SUPERSEDED';
    }
    if (outcome.error instanceof TaskCancelledError) {
      const written = await this.withDatabaseRetry(() => this.execution.finishCancelled(this.database, claim));
      this.logger.log(`task ${task.id} (${task.type}) CANCELLED while running`);
      return written ? 'CANCELLED' : 'SUPERSEDED';
    }
    const error = describeError(outcome.error);
    const permanent = outcome.error instanceof PermanentTaskError;
    if (!permanent && claim.attempt < task.max_attempts) {
      const delay = retryDelaySeconds(this.config.retry.delaysSeconds, claim.attempt);
      const message = retryMessage(summary, claim.attempt + 1, delay);
      const written = await this.withDatabaseRetry(() => this.execution.scheduleRetry(this.database, claim, error, delay, message));
      this.logger.warn(`task ${task.id} (${task.type}) failed attempt ${claim.attempt}/${task.max_attempts}: ${error}; retrying in ${delay} s`);
      return written ? 'RETRYING' : 'SUPERSEDED';
    }
    const reason = failureReason(outcome.error, task);
    const attempts = Math.min(claim.attempt, task.max_attempts);
    const deadLetter = deadLetterMessage(summary, { attempts, reason, error, failedAt: new Date() });
    const written = await this.withDatabaseRetry(() => this.execution.fail(this.database, claim, error, deadLetter));
    this.logger.error(`task ${task.id} (${task.type}) FAILED after attempt ${attempts}/${task.max_attempts} (${reason}): ${error}`);
    return written ? 'FAILED' : 'SUPERSEDED';
  }

  /** A status write survives a short Postgres outage; past that the message is handed back unacknowledged. */
  private async withDatabaseRetry<T>(write: () => Promise<T>, tries = 10): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await write();
      } catch (error) {
        if (i >= tries || !isDatabaseUnavailable(error)) throw error;
        this.logger.warn(`status write failed (${(error as Error).message}); retrying`);
        await sleep(Math.min(500 * i, 3000));
      }
    }
  }

  /** A message that is not a task message goes to tasks.dlq with the reason, then is acknowledged. */
  private async rejectPoison(delivery: Delivery, reason: string): Promise<void> {
    this.logger.error(`unreadable message on ${delivery.queue} (${reason}): moved to tasks.dlq`);
    this.metrics.taskOutcomes.inc({ type: 'unknown', status: 'POISON' });
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

function failureReason(error: unknown, task: TaskRow): string {
  if (error instanceof TaskTimeoutError) return 'timeout';
  if (task.attempts > task.max_attempts) return 'worker-lost';
  if (error instanceof PermanentTaskError) return 'permanent-error';
  return 'max-attempts-exhausted';
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

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
import { PermanentTaskError, retryDelaySeconds, type TaskHandlerContract, TaskRegistry } from '#tasks';
import { TaskTimeoutError, WorkerShutdownError } from './abort-reasons.js';

/** A running attempt, so shutdown can abort it. */
interface RunningAttempt {
  controller: AbortController;
}

/** Extra time past TASK_TIMEOUT_SECONDS before another worker may take a task over. */
const LEASE_MARGIN_SECONDS = 30;

/**
 * Runs one delivery: claim the task with a guarded UPDATE, run its handler, write the outcome
 * (fenced by the claim token), and only then acknowledge. A delivery whose claim matches
 * nothing (duplicate, late, cancelled, finished) is acknowledged without running.
 */
@Injectable()
export class TaskExecutor {
  private readonly logger = new Logger('TaskExecutor');
  readonly workerId = `${hostname()}:${process.pid}`;
  private readonly running = new Set<RunningAttempt>();

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
    for (const attempt of this.running) attempt.controller.abort(new WorkerShutdownError());
  }

  async execute(delivery: Delivery): Promise<void> {
    const message = parseTaskMessage(delivery.message.content);
    if (typeof message === 'string') return this.rejectPoison(delivery, message);
    await withCorrelationId(message.correlationId || message.taskId, () => this.executeTask(delivery, message));
  }

  private async executeTask(delivery: Delivery, message: TaskMessage): Promise<void> {
    const claim: Claim = { taskId: message.taskId, attempt: message.attempt, token: `${this.workerId}:${randomUUID()}` };
    const lease = this.config.worker.taskTimeoutSeconds + LEASE_MARGIN_SECONDS;
    let task: TaskRow | null;
    try {
      task = await this.execution.claim(this.database, claim, lease, delivery.redelivered);
    } catch (error) {
      if (!isDatabaseUnavailable(error)) return this.rejectPoison(delivery, `the claim failed: ${(error as Error).message}`);
      // Postgres is unreachable: hand the message back after a pause instead of spinning.
      this.logger.warn(`cannot claim task ${message.taskId}: ${(error as Error).message}; handing the message back`);
      await sleep(1000);
      delivery.nack(true);
      return;
    }
    if (!task) {
      this.metrics.taskOutcomes.inc({ type: message.type, status: 'SKIPPED' });
      this.logger.debug(`skipped a message for task ${message.taskId} (attempt ${message.attempt}): not waiting for it`);
      delivery.ack();
      return;
    }

    const attempt: RunningAttempt = { controller: new AbortController() };
    this.running.add(attempt);
    const timeout = setTimeout(
      () => attempt.controller.abort(new TaskTimeoutError(this.config.worker.taskTimeoutSeconds)),
      this.config.worker.taskTimeoutSeconds * 1000,
    );
    const started = process.hrtime.bigint();
    this.metrics.tasksInFlight.inc();
    let outcome: { ok: true; result: unknown } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, result: await this.runHandler(task, claim, attempt.controller.signal) };
    } catch (error) {
      outcome = { ok: false, error: attempt.controller.signal.aborted ? attempt.controller.signal.reason : error };
    } finally {
      clearTimeout(timeout);
      this.running.delete(attempt);
      this.metrics.tasksInFlight.dec();
      this.metrics.taskDuration.observe({ type: task.type }, Number(process.hrtime.bigint() - started) / 1e9);
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

  private async runHandler(task: TaskRow, claim: Claim, signal: AbortSignal): Promise<unknown> {
    const entry = this.registry.get(task.type);
    if (!entry) throw new PermanentTaskError(`no handler is registered for type '${task.type}' in this worker`);
    this.registry.assertPayload(task.type, task.payload);
    const handler = this.moduleRef.get<TaskHandlerContract>(entry.handler, { strict: false });
    return handler.run(task.payload, {
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
  }

  /** Writes COMPLETED, RETRYING (with its retry message) or FAILED (with its DLQ copy). */
  private async recordOutcome(task: TaskRow, claim: Claim, outcome: { ok: true; result: unknown } | { ok: false; error: unknown }): Promise<string> {
    const summary = { taskId: task.id, type: task.type, priority: task.priority, correlationId: task.correlation_id };
    if (outcome.ok) {
      const written = await this.withDatabaseRetry(() => this.execution.complete(this.database, claim, outcome.result));
      this.logger.log(`task ${task.id} (${task.type}) COMPLETED on attempt ${claim.attempt}`);
      return written ? 'COMPLETED' : 'SUPERSEDED';
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
    const reason = permanent ? 'permanent-error' : outcome.error instanceof TaskTimeoutError ? 'timeout' : 'max-attempts-exhausted';
    const deadLetter = deadLetterMessage(summary, { attempts: claim.attempt, reason, error, failedAt: new Date() });
    const written = await this.withDatabaseRetry(() => this.execution.fail(this.database, claim, error, deadLetter));
    this.logger.error(`task ${task.id} (${task.type}) FAILED after attempt ${claim.attempt}/${task.max_attempts} (${reason}): ${error}`);
    return written ? 'FAILED' : 'SUPERSEDED';
  }

  /** A status write survives a short Postgres outage; past that the message is handed back unacknowledged. */
  private async withDatabaseRetry<T>(write: () => Promise<T>, tries = 30): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await write();
      } catch (error) {
        if (i >= tries) throw error;
        this.logger.warn(`status write failed (${(error as Error).message}); retrying`);
        await sleep(Math.min(1000 * i, 5000));
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
          [DEAD_LETTER_HEADERS.error]: reason,
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

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

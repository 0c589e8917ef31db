import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import { DatabaseService, MaintenanceRepository } from '#database';
import { dispatchMessage } from '#messaging';
import { MetricsService } from '#observability';
import { OutboxRelayService } from './outbox-relay.service.js';

/**
 * How often the lease sweeper runs: every third of TASK_LEASE_SECONDS (1 to 5 s), so a task
 * whose worker died is released about one lease (plus at most a third) after its last renewal.
 */
export function sweepIntervalMs(leaseSeconds: number): number {
  return Math.min(5_000, Math.max(1_000, Math.floor((leaseSeconds * 1000) / 3)));
}

/**
 * How long a task the sweeper released may wait for its re-sent message to be claimed before it
 * is re-sent again (that message may have been lost). Generous: the message may sit behind a
 * queue's backlog, and a spare copy only costs a skipped delivery.
 */
export function releasedResendSeconds(taskTimeoutSeconds: number): number {
  return taskTimeoutSeconds + Math.min(30, taskTimeoutSeconds);
}

/** Tasks the lease sweeper releases per run; the rest follow on the next run. */
const SWEEP_BATCH = 100;
/** How often retention runs when the last run caught up. */
const RETENTION_INTERVAL_MS = 60_000;
/** Rows per clean-up statement: short locks and snapshots (see retention.sql.ts). */
const RETENTION_BATCH = 1_000;
/**
 * How long one clean-up may go on batch after batch in one run. A clean-up that spends it
 * without catching up has the next run start at once instead of a minute later, so retention
 * deletes as fast as Postgres lets it for as long as it is behind, whatever the create rate:
 * the budget only keeps one clean-up from starving the others and keeps shutdown prompt.
 */
const RETENTION_BUDGET_MS = 5_000;
/** How often the task count deltas are folded: what a stats read sums is what piled up since. */
const COUNTS_FOLD_INTERVAL_MS = 2_000;
const COUNTS_FOLD_BATCH = 10_000;

/** One run of one clean-up: what it deleted, and whether it found nothing more to delete. */
export interface CleanupRun {
  deleted: number;
  caughtUp: boolean;
}

/** What one retention run did, per clean-up. */
export interface RetentionRun {
  publishedOutbox: CleanupRun;
  givenUpOutbox: CleanupRun;
  idempotencyKeys: CleanupRun;
  finishedTasks: CleanupRun;
}

/**
 * The relay's housekeeping, on timers:
 * - the lease sweeper: IN_PROGRESS tasks whose lease (TASK_LEASE_SECONDS, renewed by the
 *   worker's heartbeat) expired are released and re-sent, so a task whose worker died is taken
 *   over about one lease later and none stays IN_PROGRESS for ever (PENDING and RETRYING tasks
 *   whose message vanished are the reconciler's: reconciler.service.ts);
 * - retention: published and given-up outbox rows older than OUTBOX_RETENTION_HOURS,
 *   idempotency keys older than 24 h, and tasks finished more than TASK_RETENTION_DAYS ago
 *   (with their timelines), deleted batch after batch until caught up;
 * - the fold of the task count deltas into task_counts, which GET /tasks/stats reads.
 */
@Injectable()
export class MaintenanceService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Maintenance');
  private readonly timers: NodeJS.Timeout[] = [];
  private retentionTimer?: NodeJS.Timeout;
  private stopping = false;
  private running = new Set<Promise<unknown>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly database: DatabaseService,
    private readonly maintenance: MaintenanceRepository,
    private readonly relay: OutboxRelayService,
    private readonly metrics: MetricsService,
  ) {}

  onApplicationBootstrap(): void {
    this.timers.push(setInterval(() => this.track(this.sweep()), sweepIntervalMs(this.config.worker.leaseSeconds)));
    this.timers.push(setInterval(() => this.track(this.foldCounts()), COUNTS_FOLD_INTERVAL_MS));
    this.scheduleRetention(0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    for (const timer of this.timers) clearInterval(timer);
    clearTimeout(this.retentionTimer);
    await Promise.allSettled(this.running);
  }

  /** Releases and re-sends tasks whose lease ran out; returns their ids. */
  async sweep(): Promise<string[]> {
    const resendAfter = releasedResendSeconds(this.config.worker.taskTimeoutSeconds);
    try {
      let redispatches: { taskId: string; message: ReturnType<typeof dispatchMessage> }[] = [];
      const released = await this.database.transaction(async (tx) => {
        const stranded = await this.maintenance.findExpiredLeases(tx, SWEEP_BATCH, resendAfter);
        // The take-over message carries the attempt the task is in, which claim_task matches.
        redispatches = stranded.map((task) => ({ taskId: task.taskId, message: dispatchMessage(task, task.attempts) }));
        return this.maintenance.releaseAndRedispatch(tx, redispatches);
      });
      if (released.length > 0) {
        this.metrics.tasksRedispatched.inc({ reason: 'lease-expired' }, released.length);
        this.logger.warn(`released ${released.length} task(s) whose worker is gone`, { taskIds: released });
        // Per task at debug, with what the request id and the task's other lines carry.
        const ids = new Set(released);
        for (const { message } of redispatches) {
          if (!ids.has(message.body.taskId)) continue;
          const { taskId, type, attempt, correlationId } = message.body;
          this.logger.debug('task released: its worker is gone (the lease ran out); dispatched again', { taskId, type, attempt, correlationId });
        }
        this.relay.wake('redispatch');
      }
      return released;
    } catch (error) {
      this.logger.warn(`lease sweep failed: ${(error as Error).message}`, error);
      return [];
    }
  }

  /**
   * One retention run: each clean-up deletes batch after batch until it catches up or its
   * time budget is spent. Returns how many rows it deleted in all (tasks count once; their
   * events and outbox rows go with them).
   */
  async retain(): Promise<number> {
    const run = await this.retentionRun();
    return Object.values(run).reduce((sum, cleanup) => sum + cleanup.deleted, 0);
  }

  /** {@link retain}, with what each clean-up did and whether it caught up. */
  async retentionRun(): Promise<RetentionRun> {
    const { retentionHours } = this.config.outbox;
    const { taskDays } = this.config.retention;
    const run: RetentionRun = {
      publishedOutbox: await this.untilCaughtUp('published outbox rows', (batch) =>
        this.maintenance.deletePublishedOutbox(this.database, retentionHours, batch),
      ),
      givenUpOutbox: await this.untilCaughtUp('given-up outbox rows', (batch) => this.maintenance.deleteGivenUpOutbox(this.database, retentionHours, batch)),
      idempotencyKeys: await this.untilCaughtUp('idempotency keys', (batch) => this.maintenance.deleteExpiredIdempotencyKeys(this.database, batch)),
      finishedTasks:
        taskDays > 0
          ? await this.untilCaughtUp('finished tasks', (batch) => this.maintenance.deleteFinishedTasks(this.database, taskDays, batch))
          : { deleted: 0, caughtUp: true },
    };
    const deleted = Object.entries(run).filter(([, cleanup]) => cleanup.deleted > 0);
    if (deleted.length > 0) this.logger.log(`retention deleted ${deleted.map(([what, c]) => `${c.deleted} ${what}`).join(', ')}`);
    return run;
  }

  /** Folds the pending task count deltas into task_counts; returns how many delta rows. */
  async foldCounts(): Promise<number> {
    let folded = 0;
    const deadline = Date.now() + RETENTION_BUDGET_MS;
    try {
      for (;;) {
        const n = await this.maintenance.foldTaskCounts(this.database, COUNTS_FOLD_BATCH);
        folded += n;
        if (n < COUNTS_FOLD_BATCH || this.stopping || Date.now() >= deadline) return folded;
      }
    } catch (error) {
      this.logger.warn(`folding the task counts failed: ${(error as Error).message}`, error);
      return folded;
    }
  }

  /** Runs one clean-up's batches until one comes back short, the budget is spent, or the relay stops. */
  private async untilCaughtUp(what: string, batch: (size: number) => Promise<number>): Promise<CleanupRun> {
    const deadline = Date.now() + RETENTION_BUDGET_MS;
    let deleted = 0;
    try {
      for (;;) {
        const n = await batch(RETENTION_BATCH);
        deleted += n;
        if (n < RETENTION_BATCH) return { deleted, caughtUp: true };
        if (this.stopping || Date.now() >= deadline) return { deleted, caughtUp: false };
      }
    } catch (error) {
      // Tried again at the next interval, not at once: a database that is away is not hammered.
      this.logger.warn(`retention of ${what} failed: ${(error as Error).message}`, error);
      return { deleted, caughtUp: true };
    }
  }

  /** Next retention run: at once while a clean-up is behind, otherwise after the interval. */
  private scheduleRetention(delayMs: number): void {
    if (this.stopping) return;
    this.retentionTimer = setTimeout(() => {
      const work = this.retentionRun()
        .then((run) => Object.values(run).some((cleanup) => !cleanup.caughtUp))
        .catch(() => false)
        .then((behind) => this.scheduleRetention(behind ? 0 : RETENTION_INTERVAL_MS));
      this.track(work);
    }, delayMs);
  }

  private track(work: Promise<unknown>): void {
    this.running.add(work);
    void work.finally(() => this.running.delete(work));
  }
}

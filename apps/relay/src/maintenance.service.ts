import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import { DatabaseService, MaintenanceRepository } from '#database';
import { OutboxRelayService } from './outbox-relay.service.js';

/**
 * How often the lease sweeper runs: a third of TASK_LEASE_SECONDS, at most every 5 s, so a task
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
const RETENTION_INTERVAL_MS = 60_000;
const RETENTION_BATCH = 1_000;
/** Bounds one retention run, so a huge backlog of old rows is worked off over several runs. */
const RETENTION_MAX_BATCHES = 50;

/**
 * The relay's housekeeping, on timers:
 * - the lease sweeper: IN_PROGRESS tasks whose lease (TASK_LEASE_SECONDS, renewed by the
 *   worker's heartbeat) expired are released and re-sent, so a task whose worker died is taken
 *   over about one lease later and none stays IN_PROGRESS for ever;
 * - retention: published outbox rows older than OUTBOX_RETENTION_HOURS, and idempotency keys
 *   older than 24 h, are deleted in small batches (contract §7.9).
 */
@Injectable()
export class MaintenanceService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Maintenance');
  private readonly timers: NodeJS.Timeout[] = [];
  private running = new Set<Promise<unknown>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly database: DatabaseService,
    private readonly maintenance: MaintenanceRepository,
    private readonly relay: OutboxRelayService,
  ) {}

  onApplicationBootstrap(): void {
    this.timers.push(setInterval(() => this.track(this.sweep()), sweepIntervalMs(this.config.worker.leaseSeconds)));
    this.timers.push(setInterval(() => this.track(this.retain()), RETENTION_INTERVAL_MS));
    this.track(this.retain());
  }

  async beforeApplicationShutdown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await Promise.allSettled([...this.running]);
  }

  /** Releases and re-sends tasks whose lease ran out; returns their ids. */
  async sweep(): Promise<string[]> {
    const resendAfter = releasedResendSeconds(this.config.worker.taskTimeoutSeconds);
    try {
      const released = await this.database.transaction((tx) => this.maintenance.sweepExpiredLeases(tx, 100, resendAfter));
      if (released.length > 0) {
        this.logger.warn(`released ${released.length} task(s) whose worker is gone: ${released.join(', ')}`);
        this.relay.wake();
      }
      return released;
    } catch (error) {
      this.logger.warn(`lease sweep failed: ${(error as Error).message}`);
      return [];
    }
  }

  /** Deletes old published outbox rows and expired idempotency keys; returns how many rows. */
  async retain(): Promise<number> {
    let deleted = 0;
    try {
      for (let i = 0; i < RETENTION_MAX_BATCHES; i++) {
        const n = await this.maintenance.deletePublishedOutbox(this.database, this.config.outbox.retentionHours, RETENTION_BATCH);
        deleted += n;
        if (n < RETENTION_BATCH) break;
      }
      deleted += await this.maintenance.deleteExpiredIdempotencyKeys(this.database, RETENTION_BATCH);
      if (deleted > 0) this.logger.log(`retention deleted ${deleted} old row(s)`);
    } catch (error) {
      this.logger.warn(`retention failed: ${(error as Error).message}`);
    }
    return deleted;
  }

  private track(work: Promise<unknown>): void {
    this.running.add(work);
    void work.finally(() => this.running.delete(work));
  }
}

import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import { DatabaseService, MaintenanceRepository } from '#database';
import { MetricsService } from '#observability';
import { leaseSeconds } from '#tasks';
import { OutboxRelayService } from './outbox-relay.service.js';

const SWEEP_INTERVAL_MS = 5_000;
const RETENTION_INTERVAL_MS = 60_000;
const RETENTION_BATCH = 1_000;
/** Bounds one retention run, so a huge backlog of old rows is worked off over several runs. */
const RETENTION_MAX_BATCHES = 50;

/**
 * The relay's housekeeping, on timers:
 * - the lease sweeper: IN_PROGRESS tasks whose worker is gone are released and re-sent, so no
 *   task stays IN_PROGRESS for ever, even after a worker was killed (PENDING and RETRYING
 *   tasks whose message vanished are the reconciler's: reconciler.service.ts);
 * - retention: published outbox rows older than OUTBOX_RETENTION_HOURS, and idempotency keys
 *   older than 24 h, are deleted in small batches, so the outbox stays small while it keeps up
 *   with the create rate (documents/failure-handling.md, "Outbox retention").
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
    private readonly metrics: MetricsService,
  ) {}

  onApplicationBootstrap(): void {
    this.timers.push(setInterval(() => this.track(this.sweep()), SWEEP_INTERVAL_MS));
    this.timers.push(setInterval(() => this.track(this.retain()), RETENTION_INTERVAL_MS));
    this.track(this.retain());
  }

  async beforeApplicationShutdown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await Promise.allSettled(this.running);
  }

  /** Releases and re-sends tasks whose lease ran out; returns their ids. */
  async sweep(): Promise<string[]> {
    const lease = leaseSeconds(this.config.worker.taskTimeoutSeconds);
    try {
      const released = await this.database.transaction((tx) => this.maintenance.sweepExpiredLeases(tx, 100, lease));
      if (released.length > 0) {
        this.metrics.tasksRedispatched.inc({ reason: 'lease-expired' }, released.length);
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

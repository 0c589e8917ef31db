import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { type Backlog, DatabaseService, MaintenanceRepository } from '#database';
import { queueOfPriority } from '#messaging';
import { TaskPriority } from '#tasks/core';
import { MetricsService } from './metrics.service.js';
import { withTimeout } from '../with-timeout.js';

/** How long a scrape waits for Postgres (statement_timeout, and the same bound on the whole read) before it reports no backlog at all. */
export const BACKLOG_METRICS_TIMEOUT_MS = 500;
/** How long one answer serves further scrapes, so a flood of them queries Postgres once a second. */
export const BACKLOG_METRICS_CACHE_MS = 1000;

/**
 * The outbox lag and the age of the oldest message per priority queue, read from Postgres when
 * `/metrics` is scraped (the relay serves them):
 *
 * - `outbox_rows_pending`: outbox rows due and not published yet;
 * - `outbox_oldest_pending_age_seconds`: how long the oldest of them has been due (0 with none);
 * - `tasks_queue_oldest_message_age_seconds{queue}`: per priority queue, how long its oldest
 *   PENDING task has waited since it was published (0 with none). AMQP does not tell a queue's
 *   head age, and the PENDING tasks of a priority are the messages of its queue (a retried task's
 *   message, back from its delay queue, is not counted: the task stays RETRYING until claimed).
 *
 * One statement in a transaction bounded by {@link BACKLOG_METRICS_TIMEOUT_MS}, shared by the
 * three gauges and by every scrape within {@link BACKLOG_METRICS_CACHE_MS}. When Postgres does not
 * answer in time the gauges have no sample: an absent series, never a failed scrape nor a stale
 * number that looks current.
 */
@Injectable()
export class BacklogMetrics implements OnModuleInit {
  private last?: { at: number; backlog: Promise<Backlog | null> };

  constructor(
    private readonly metrics: MetricsService,
    private readonly database: DatabaseService,
    private readonly maintenance: MaintenanceRepository,
  ) {}

  onModuleInit(): void {
    const backlog = () => this.backlog();
    const registers = [this.metrics.registry];
    new Gauge({
      name: 'outbox_rows_pending',
      help: 'Outbox rows due and not yet published (the relay lag), read from Postgres at scrape time',
      registers,
      async collect() {
        this.reset();
        const read = await backlog();
        if (read) this.set(read.outbox.pending);
      },
    });
    new Gauge({
      name: 'outbox_oldest_pending_age_seconds',
      help: 'How long the oldest due outbox row has waited to be published (0 with none), read from Postgres at scrape time',
      registers,
      async collect() {
        this.reset();
        const read = await backlog();
        if (read) this.set(read.outbox.oldestSeconds);
      },
    });
    new Gauge({
      name: 'tasks_queue_oldest_message_age_seconds',
      help: 'Per priority queue, how long its oldest PENDING task has waited since it was published (0 with none), read from Postgres at scrape time',
      labelNames: ['queue'] as const,
      registers,
      async collect() {
        this.reset();
        const read = await backlog();
        if (!read) return;
        for (const priority of Object.values(TaskPriority)) this.set({ queue: queueOfPriority(priority) }, read.oldestPendingSeconds[priority] ?? 0);
      },
    });
  }

  private backlog(): Promise<Backlog | null> {
    const now = Date.now();
    if (!this.last || now - this.last.at >= BACKLOG_METRICS_CACHE_MS) {
      const read = this.database.transaction((tx) => this.maintenance.backlog(tx, BACKLOG_METRICS_TIMEOUT_MS));
      // The client-side bound also covers waiting for a free connection of the pool.
      this.last = { at: now, backlog: withTimeout(read, BACKLOG_METRICS_TIMEOUT_MS).catch(() => null) };
    }
    return this.last.backlog;
  }
}

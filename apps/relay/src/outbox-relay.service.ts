import { Inject, Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import { DatabaseService, OutboxNotifications, type OutboxRow, OutboxRepository } from '#database';
import { AmqpConnectionService, MessagePublisher, type OutgoingMessage } from '#messaging';
import { MetricsService } from '#observability';
import { outboxBackoffSeconds } from './outbox-backoff.js';

export interface BatchOutcome {
  claimed: number;
  published: number;
  failed: number;
  skipped: number;
}

/**
 * The outbox relay. It wakes on `NOTIFY outbox_pending` and every OUTBOX_POLL_INTERVAL ms,
 * then drains due rows batch by batch: claim (SKIP LOCKED), publish with confirms, and record
 * the outcome in the same transaction that holds the claim.
 */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  private readonly notifications: OutboxNotifications;
  private pollTimer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private wakeAgain = false;
  private stopping = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly database: DatabaseService,
    private readonly outbox: OutboxRepository,
    private readonly publisher: MessagePublisher,
    private readonly amqp: AmqpConnectionService,
    private readonly metrics: MetricsService,
  ) {
    this.notifications = new OutboxNotifications(config, () => this.wake());
    // Rows that waited while the broker was away go out as soon as it is back.
    amqp.onConnect(() => this.wake());
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.notifications.start();
    this.pollTimer = setInterval(() => this.wake(), this.config.outbox.pollIntervalMs);
    this.wake();
  }

  /** Finishes the batch in hand, then stops. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    await this.notifications.stop();
    await this.running;
  }

  /** Asks for a drain; wakes that arrive during one are folded into one more pass. */
  wake(): void {
    if (this.stopping) return;
    if (this.running) {
      this.wakeAgain = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.wakeAgain) {
        this.wakeAgain = false;
        this.wake();
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (!this.stopping) {
        // While the broker is away nothing is claimed and no attempt is counted: the rows
        // wait in the outbox, and the reconnect plus the next poll send them.
        if (!this.amqp.isConnected()) return;
        // Claim again until a claim comes back empty: inserts made while this relay is
        // draining send no NOTIFY (see the quiet-outbox-notify migration).
        const outcome = await this.runBatch();
        if (outcome.claimed === 0) return;
      }
    } catch (error) {
      this.logger.warn(`outbox batch failed, will retry on the next wake: ${(error as Error).message}`);
    }
  }

  /** One claim–publish–record cycle in one transaction. */
  async runBatch(): Promise<BatchOutcome> {
    return this.database.transaction(async (tx) => {
      const rows = await this.outbox.claimBatch(tx, this.config.outbox.batchSize);
      if (rows.length === 0) return { claimed: 0, published: 0, failed: 0, skipped: 0 };

      const dispatchTaskIds = rows.filter((r) => r.kind === 'dispatch' && r.taskId).map((r) => r.taskId!);
      const dispatchable = await this.outbox.lockDispatchableTasks(tx, dispatchTaskIds);
      const toPublish = rows.filter((r) => r.kind !== 'dispatch' || dispatchable.has(r.taskId!));
      const skipped = rows.filter((r) => r.kind === 'dispatch' && !dispatchable.has(r.taskId!));

      const results = await Promise.allSettled(toPublish.map((row) => this.publisher.publish(toMessage(row), { mandatory: row.kind !== 'control' })));
      const published: OutboxRow[] = [];
      const failed: { row: OutboxRow; error: string }[] = [];
      results.forEach((result, i) => {
        if (result.status === 'fulfilled') published.push(toPublish[i]);
        else failed.push({ row: toPublish[i], error: (result.reason as Error)?.message ?? String(result.reason) });
      });

      await this.outbox.markPublished(
        tx,
        published.map((r) => r.id),
      );
      await this.outbox.markTasksPending(
        tx,
        published.filter((r) => r.kind === 'dispatch').map((r) => r.taskId!),
      );
      await this.outbox.markPublished(
        tx,
        skipped.map((r) => r.id),
        'not sent: the task had left NEW (cancelled)',
      );
      for (const { row, error } of failed) {
        const gaveUpOn = await this.outbox.recordFailure(tx, row.id, error, outboxBackoffSeconds(row.attempts + 1), this.config.outbox.maxAttempts);
        if (gaveUpOn) this.logger.error(`task ${gaveUpOn} FAILED: dispatch gave up after ${this.config.outbox.maxAttempts} attempts: ${error}`);
        else this.logger.warn(`publish of outbox row ${row.id} failed (attempt ${row.attempts + 1}): ${error}`);
      }

      for (const row of published) this.metrics.outboxPublished.inc({ kind: row.kind });
      this.metrics.outboxPublishFailures.inc(failed.length);
      return { claimed: rows.length, published: published.length, failed: failed.length, skipped: skipped.length };
    });
  }
}

function toMessage(row: OutboxRow): OutgoingMessage {
  const body = row.body as unknown as OutgoingMessage['body'];
  // Every body our builders write carries a string correlationId; a row written without one publishes with ''.
  return { messageId: row.messageId, exchange: row.exchange, routingKey: row.routingKey, headers: row.headers, body, correlationId: body.correlationId ?? '' };
}

import { performance } from 'node:perf_hooks';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import { DatabaseService, OutboxNotifications, type OutboxRow, OutboxRepository } from '#database';
import { AmqpConnectionService, MessagePublisher } from '#messaging';
import { MetricsService } from '#observability';
import { outboxBackoffSeconds } from './outbox-backoff.js';

/** Batches one relay has in flight at once while it drains a backlog. */
const BACKLOG_LANES = 2;

/** Why the relay woke: the `cause` label of `outbox_relay_wakeups_total`. */
export type WakeCause = 'notify' | 'poll' | 'broker' | 'redispatch' | 'start';

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
  /** Whether the per-message debug lines are written, so their fields are built only then. */
  private readonly debug: boolean;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly database: DatabaseService,
    private readonly outbox: OutboxRepository,
    private readonly publisher: MessagePublisher,
    private readonly amqp: AmqpConnectionService,
    private readonly metrics: MetricsService,
  ) {
    this.debug = config.logLevel === 'debug';
    // Also called once after each LISTEN (re)connect, for rows committed while nobody listened.
    this.notifications = new OutboxNotifications(config, () => this.wake('notify'));
    // Rows that waited while the broker was away go out as soon as it is back.
    amqp.onConnect(() => this.wake('broker'));
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.notifications.start();
    this.pollTimer = setInterval(() => this.wake('poll'), this.config.outbox.pollIntervalMs);
    this.wake('start');
  }

  /** Finishes the batch in hand, then stops. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    await this.notifications.stop();
    await this.running;
  }

  /** Asks for a drain; wakes that arrive during one are folded into one more pass. Each is counted by its cause. */
  wake(cause: WakeCause): void {
    if (this.stopping) return;
    this.metrics.relayWakeups.inc({ cause });
    this.schedule();
  }

  private schedule(): void {
    if (this.stopping) return;
    if (this.running) {
      this.wakeAgain = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.wakeAgain) {
        this.wakeAgain = false;
        this.schedule();
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      // While the broker is away nothing is claimed and no attempt is counted: the rows
      // wait in the outbox, and the reconnect plus the next poll send them.
      if (this.stopping || !this.amqp.isConnected()) return;
      const first = await this.runBatch();
      if (first.claimed === 0) return;
      // A full batch means a backlog: a second batch goes on while the first waits for its
      // confirms and its commit (the claims skip each other's rows). After a wake for a few
      // rows one lane claims again until empty, as before: nothing more at idle.
      const lanes = first.claimed < this.config.outbox.batchSize ? 1 : BACKLOG_LANES;
      // allSettled: a lane that fails does not end the drain while the other is mid-batch.
      const results = await Promise.allSettled(Array.from({ length: lanes }, () => this.drainLane()));
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    } catch (error) {
      this.logger.warn(`outbox batch failed, will retry on the next wake: ${(error as Error).message}`, error);
    }
  }

  /**
   * Claims again until a claim comes back empty: inserts made while this relay is draining send
   * no NOTIFY (see the quiet-outbox-notify migration).
   */
  private async drainLane(): Promise<void> {
    while (!this.stopping && this.amqp.isConnected()) {
      const outcome = await this.runBatch();
      if (outcome.claimed === 0) return;
    }
  }

  /**
   * One claim–publish–record cycle in one transaction of three statements: the claim (which
   * also locks the NEW tasks of its dispatch rows), the whole batch published at once with one
   * wait for all its confirms, and one statement recording the outcome. Failed publishes (rare)
   * each count an attempt on their row.
   *
   * Per row it builds nothing beyond the publish itself: the claim returns the rows in the shape
   * read here and the body as the JSON text published; the fields of a debug line are built only
   * when debug lines are written.
   */
  async runBatch(): Promise<BatchOutcome> {
    return this.database.transaction(async (tx) => {
      const rows = await this.outbox.claimBatch(tx, this.config.outbox.batchSize);
      if (rows.length === 0) return { claimed: 0, published: 0, failed: 0, skipped: 0 };

      // Per row, in claim order: undefined (confirmed), a string (why the publish failed), or
      // SKIPPED (a dispatch row whose task had left NEW: nothing is sent).
      const outcomes = await this.publishAll(rows);
      const published: OutboxRow[] = [];
      const skipped: OutboxRow[] = [];
      const failed: { row: OutboxRow; error: string }[] = [];
      let dispatches = 0;
      for (let i = 0; i < rows.length; i++) {
        const outcome = outcomes[i];
        if (outcome === undefined) {
          published.push(rows[i]);
          if (rows[i].kind === 'dispatch') dispatches++;
        } else if (outcome === SKIPPED) skipped.push(rows[i]);
        else failed.push({ row: rows[i], error: outcome });
      }

      await this.outbox.recordOutcome(tx, { published, unsent: skipped, note: 'not sent: the task had left NEW (cancelled)' });
      for (const { row, error } of failed) {
        const gaveUpOn = await this.outbox.recordFailure(tx, row.id, error, outboxBackoffSeconds(row.attempts + 1), this.config.outbox.maxAttempts);
        const fields = { ...rowFields(row), publishAttempt: row.attempts + 1, err: error };
        if (gaveUpOn)
          this.logger.error(`task FAILED: dispatch gave up after ${this.config.outbox.maxAttempts} attempts: ${error}`, { ...fields, taskId: gaveUpOn });
        else this.logger.warn(`publish of an outbox row failed (publish attempt ${row.attempts + 1}): ${error}`, fields);
      }
      // One line per message at debug (a relay publishes thousands a second under load), each
      // with the task's id, type, attempt and correlation id, so the request id finds it.
      if (this.debug) {
        for (const row of published) this.logger.debug(row.kind === 'control' ? 'published a control message' : 'published', rowFields(row));
        for (const row of skipped) this.logger.debug('not sent: the task had left NEW (cancelled)', rowFields(row));
      }

      this.metrics.outboxBatches.inc();
      if (dispatches > 0) this.metrics.outboxPublished.inc({ kind: 'dispatch' }, dispatches);
      if (published.length > dispatches) {
        const perKind = new Map<string, number>();
        for (const row of published) if (row.kind !== 'dispatch') perKind.set(row.kind, (perKind.get(row.kind) ?? 0) + 1);
        for (const [kind, count] of perKind) this.metrics.outboxPublished.inc({ kind }, count);
      }
      this.metrics.outboxPublishFailures.inc(failed.length);
      return { claimed: rows.length, published: published.length, failed: failed.length, skipped: skipped.length };
    });
  }

  /**
   * Hands every sendable row to the publisher at once and resolves when the broker has answered
   * for all of them, with each row's outcome in claim order. Each confirm is timed from the hand-over.
   */
  private publishAll(rows: readonly OutboxRow[]): Promise<(string | typeof SKIPPED | undefined)[]> {
    const outcomes: (string | typeof SKIPPED | undefined)[] = Array.from({ length: rows.length });
    const sentAt = performance.now();
    const confirmed = () => this.metrics.outboxConfirmDuration.observe((performance.now() - sentAt) / 1000);
    return new Promise((resolve) => {
      let waiting = 1;
      const settled = () => {
        if (--waiting === 0) resolve(outcomes);
      };
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i];
        if (row.kind === 'dispatch' && !row.dispatchable) {
          outcomes[i] = SKIPPED;
          continue;
        }
        waiting++;
        void this.publisher.publishContent(row, Buffer.from(row.body), { mandatory: isMandatory(row.kind) }).then(
          () => {
            confirmed();
            settled();
          },
          (error: unknown) => {
            outcomes[i] = (error as Error)?.message ?? String(error);
            settled();
          },
        );
      }
      settled();
    });
  }
}

/** The outcome of a row that was not sent (its task had left NEW). */
const SKIPPED = Symbol('skipped');

/**
 * Control broadcasts and task events are published without `mandatory`: a worker's control
 * queue may not exist yet, and a task event is pub/sub (a topic exchange drops an event no
 * consumer bound a queue for). Every other message must land in a queue, or its publish failed.
 */
function isMandatory(kind: OutboxRow['kind']): boolean {
  return kind !== 'control' && kind !== 'event';
}

/** What a line about an outbox row carries: the row, and the task fields of its message body. */
function rowFields(row: OutboxRow): Record<string, unknown> {
  let body: { taskId?: unknown; type?: unknown; attempt?: unknown; command?: unknown } = {};
  try {
    body = (JSON.parse(row.body) ?? {}) as typeof body;
  } catch {
    // The column is jsonb: its text always parses.
  }
  return {
    taskId: body.taskId ?? row.taskId ?? undefined,
    type: body.type,
    attempt: body.attempt,
    correlationId: row.correlationId || undefined,
    command: body.command,
    outboxId: row.id,
    kind: row.kind,
    routingKey: row.routingKey,
  };
}

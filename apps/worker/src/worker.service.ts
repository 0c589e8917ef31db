import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import { DatabaseService } from '#database';
import { AmqpConnectionService, ControlConsumer, type Delivery, parseTaskMessage } from '#messaging';
import { TaskRegistry } from '#tasks';
import { TaskExecutor } from './execution/task-executor.service.js';
import { createIntake } from './scheduling/create-intake.js';
import type { MessageIntake } from './scheduling/intake.js';
import { PriorityScheduler } from './scheduling/priority-scheduler.js';

/** The first pause after a claim or status write failed; each further failure in a row doubles it. */
const FIRST_PAUSE_MS = 500;
const LONGEST_PAUSE_MS = 30_000;

/**
 * Takes messages from WORKER_QUEUES (one channel per queue) for no more than its free slots (see
 * scheduling/intake.ts) and runs at most WORKER_PREFETCH tasks at once, in the order
 * WORKER_PRIORITY_MODE says. Listens for cancel requests on
 * its own control queue. Stops taking messages for a while after Postgres failed a claim or a
 * status write (backing off while failures go on), and until Postgres answers again.
 *
 * Shutdown (SIGTERM/SIGINT): stop consuming, hand back what has not started, let running tasks
 * finish within SHUTDOWN_TIMEOUT_SECONDS, abort and hand back the rest, close the channels.
 */
@Injectable()
export class WorkerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Worker');
  private readonly intake: MessageIntake;
  private readonly control: ControlConsumer;
  private readonly scheduler: PriorityScheduler<Delivery>;
  private waitingForDatabase?: Promise<void>;
  /** Pauses in a row without a claim that Postgres answered in between. */
  private failuresInARow = 0;
  private stopping = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    amqp: AmqpConnectionService,
    private readonly database: DatabaseService,
    private readonly executor: TaskExecutor,
    private readonly registry: TaskRegistry,
  ) {
    const { queues, prefetch } = config.worker;
    // A type's `concurrency`: at most that many of it run at once here; the others wait without a slot.
    const limits = new Map(registry.list().flatMap((t) => (t.concurrency === undefined ? [] : [[t.type, t.concurrency] as const])));
    const kindOf = (delivery: Delivery) => {
      const message = parseTaskMessage(delivery.message.content);
      return typeof message === 'string' ? undefined : message.type;
    };
    this.scheduler = new PriorityScheduler<Delivery>(queues, prefetch, (delivery) => this.executor.execute(delivery), { kindOf, limits });
    this.intake = createIntake(amqp, config.worker, this.scheduler, limits.size > 0);
    this.scheduler.onSlotFreed = () => this.intake.slotFreed();
    this.control = new ControlConsumer(amqp, (message) => this.executor.cancel(message.taskId));
    this.executor.onDatabaseTrouble = () => this.pauseUntilDatabaseIsBack();
    this.executor.onClaimAnswered = () => (this.failuresInARow = 0);
  }

  async onApplicationBootstrap(): Promise<void> {
    // Not awaited: with the broker down the worker still starts (and /ready says 503); the
    // consumers subscribe as soon as the connection comes up.
    for (const consumer of [this.control, this.intake]) {
      consumer.start().catch((error: Error) => this.logger.error(`consumer failed to start: ${error.message}`, error));
    }
    const { queues, prefetch, priority } = this.config.worker;
    this.logger.log(
      `consuming ${queues.join(', ')} (${priority.mode}) with prefetch ${prefetch} as ${this.executor.workerId}; ` +
        `task types: ${this.config.worker.taskTypes ? this.registry.names().join(', ') : 'all'}`,
    );
  }

  /**
   * Stops consuming for a back-off (doubling from 0.5 s to 30 s while failures go on) and until
   * Postgres answers again, then resumes. Messages already handed back wait in the queue (or go
   * to another worker) instead of failing here again at once.
   */
  private pauseUntilDatabaseIsBack(): void {
    if (this.waitingForDatabase || this.stopping) return;
    const pauseMs = Math.min(LONGEST_PAUSE_MS, FIRST_PAUSE_MS * 2 ** this.failuresInARow);
    this.failuresInARow++;
    this.logger.warn(`PostgreSQL failed a claim or a status write: not taking messages for ${pauseMs} ms and until it answers`);
    const pausing: Promise<void> = (async () => {
      await this.intake.pause();
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
      while (!this.stopping && !(await this.database.ping())) await new Promise((resolve) => setTimeout(resolve, 1000));
      if (this.stopping) return;
      // Cleared before resuming, so a failure of the first message taken again pauses anew.
      this.waitingForDatabase = undefined;
      await this.intake.resume();
      this.logger.log('PostgreSQL answers: taking messages again');
    })().finally(() => {
      if (this.waitingForDatabase === pausing) this.waitingForDatabase = undefined;
    });
    this.waitingForDatabase = pausing;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.intake.pause();
    const notStarted = this.scheduler.stop();
    for (const delivery of notStarted) delivery.nack(true);
    // Batches being gathered run now with what they have: no task waits out maxWaitMs while we drain.
    this.executor.flushBatches();
    this.logger.log(`stopped consuming; handed back ${notStarted.length} waiting, ${this.scheduler.running} running`);

    const deadline = this.config.shutdownTimeoutSeconds * 1000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.scheduler.whenIdle().then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), deadline))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.logger.warn(`tasks still running after ${this.config.shutdownTimeoutSeconds} s: aborting them and handing them back`);
      this.executor.abortAll();
      await this.scheduler.whenIdle();
    }
    await Promise.all([this.control, this.intake].map((c) => c.close()));
  }
}

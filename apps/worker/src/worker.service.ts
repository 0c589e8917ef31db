import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import { DatabaseService } from '#database';
import { AmqpConnectionService, ControlConsumer, type Delivery, QueueConsumer } from '#messaging';
import { TaskExecutor } from './execution/task-executor.service.js';
import { PriorityScheduler } from './scheduling/priority-scheduler.js';

/**
 * Consumes WORKER_QUEUES, each on its own channel with WORKER_PREFETCH, and runs at most
 * WORKER_PREFETCH tasks at once, highest-priority queue first. Listens for cancel requests on
 * its own control queue. Stops taking messages while Postgres is unreachable.
 *
 * Shutdown (SIGTERM/SIGINT): stop consuming, hand back what has not started, let running tasks
 * finish within SHUTDOWN_TIMEOUT_SECONDS, abort and hand back the rest, close the channels.
 */
@Injectable()
export class WorkerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Worker');
  private readonly consumers: QueueConsumer[];
  private readonly control: ControlConsumer;
  private readonly scheduler: PriorityScheduler<Delivery>;
  private waitingForDatabase?: Promise<void>;
  private stopping = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    amqp: AmqpConnectionService,
    private readonly database: DatabaseService,
    private readonly executor: TaskExecutor,
  ) {
    const { queues, prefetch } = config.worker;
    this.scheduler = new PriorityScheduler<Delivery>(queues, prefetch, (delivery) => this.executor.execute(delivery));
    this.consumers = queues.map(
      (queue) =>
        new QueueConsumer(amqp, queue, prefetch, (delivery) => {
          if (!this.scheduler.offer(delivery)) delivery.nack(true);
        }),
    );
    this.control = new ControlConsumer(amqp, (message) => this.executor.cancel(message.taskId));
    this.executor.onDatabaseDown = () => this.pauseUntilDatabaseIsBack();
  }

  async onApplicationBootstrap(): Promise<void> {
    // Not awaited: with the broker down the worker still starts (and /ready says 503); the
    // consumers subscribe as soon as the connection comes up.
    for (const consumer of [this.control, ...this.consumers]) {
      consumer.start().catch((error: Error) => this.logger.error(`consumer failed to start: ${error.message}`));
    }
    this.logger.log(`consuming ${this.config.worker.queues.join(', ')} with prefetch ${this.config.worker.prefetch} as ${this.executor.workerId}`);
  }

  /** Stops consuming while Postgres is unreachable, and resumes once it answers again. */
  private pauseUntilDatabaseIsBack(): void {
    if (this.waitingForDatabase || this.stopping) return;
    this.logger.warn('PostgreSQL is unreachable: not taking messages until it is back');
    this.waitingForDatabase = (async () => {
      await Promise.all(this.consumers.map((c) => c.pause()));
      while (!this.stopping && !(await this.database.ping())) await new Promise((resolve) => setTimeout(resolve, 1000));
      if (this.stopping) return;
      await Promise.all(this.consumers.map((c) => c.resume()));
      this.logger.log('PostgreSQL is back: taking messages again');
    })().finally(() => {
      this.waitingForDatabase = undefined;
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.consumers.map((c) => c.pause()));
    const notStarted = this.scheduler.stop();
    for (const delivery of notStarted) delivery.nack(true);
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
    await Promise.all([this.control, ...this.consumers].map((c) => c.close()));
  }
}

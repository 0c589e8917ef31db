import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import { DatabaseService, MaintenanceRepository } from '#database';
import { dispatchMessage, QUEUE_GROUPS, QueueInspector, queueOfPriority } from '#messaging';
import { MetricsService } from '#observability';
import { TaskPriority } from '#tasks/core';
import { OutboxRelayService } from './outbox-relay.service.js';

/** Tasks re-dispatched per priority per run; the rest follow on the next run. */
const RECONCILE_BATCH = 2_000;

/**
 * How often the reconciler runs: twice per bound, so a lost message is noticed between one
 * and one and a half bounds after it was published; every 1 to 30 s whatever the bound.
 */
export function reconcileIntervalMs(afterSeconds: number): number {
  return Math.min(30_000, Math.max(1_000, (afterSeconds * 1000) / 2));
}

/**
 * How many of a queue's tasks may still have their message with the broker: the ready messages,
 * plus, while the queue has a backlog, what its consumers hold unacknowledged. A worker holds up
 * to WORKER_PREFETCH messages per queue before it claims them, and with ready messages left
 * every consumer's window is full. Those held messages are the oldest ones, so without them
 * counted a busy worker's waiting messages would look lost. With no ready message, what the
 * consumers hold is not counted: a lost message must not hide behind an idle consumer, and a
 * message merely held there gets at most one spare copy per bound.
 */
export function messagesHeld(depth: { messages: number; consumers: number | null }, prefetch: number): number {
  return depth.messages > 0 ? depth.messages + (depth.consumers ?? 0) * prefetch : 0;
}

/**
 * The reconciler: a PENDING task, or a RETRYING one past `nextRetryAt`, whose message vanished
 * (a purged queue, a retry dropped from its delay queue, a broker that lost data, a quorum
 * queue's delivery limit) would otherwise wait for ever. Per priority it asks the broker how
 * many messages the queue holds and dispatches again, through the outbox, the queued tasks
 * older than RECONCILE_AFTER_SECONDS that the queue cannot hold (FIND_UNQUEUED_TASKS). The
 * worker's claim fences a spare copy, so a task re-dispatched needlessly still runs once.
 * Without an answer from the broker nothing is re-dispatched.
 */
@Injectable()
export class ReconcilerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Reconciler');
  private timer?: NodeJS.Timeout;
  private running?: Promise<string[]>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly database: DatabaseService,
    private readonly maintenance: MaintenanceRepository,
    private readonly queues: QueueInspector,
    private readonly relay: OutboxRelayService,
    private readonly metrics: MetricsService,
    @Inject(QUEUE_GROUPS) private readonly queueGroups: readonly string[],
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.reconcile(), reconcileIntervalMs(this.config.reconcile.afterSeconds));
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /**
   * One pass over every work queue (the three priorities of `tasks.*` and of each queue group);
   * returns the ids of the tasks dispatched again. A pass already running is joined.
   */
  reconcile(): Promise<string[]> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<string[]> {
    const redispatched: string[] = [];
    const queues = [null, ...this.queueGroups].flatMap((queueGroup) =>
      [TaskPriority.HIGH, TaskPriority.MEDIUM, TaskPriority.LOW].map((priority) => ({ queueGroup, priority })),
    );
    for (const { queueGroup, priority } of queues) {
      const queue = queueOfPriority(priority, queueGroup);
      try {
        // The clock first, then the depth: a task published in between is left out of the walk.
        const countedAt = await this.maintenance.databaseClock(this.database);
        const [depth] = await this.queues.depths([queue]);
        if (depth.messages === null) continue;
        const held = messagesHeld({ messages: depth.messages, consumers: depth.consumers }, this.config.worker.prefetch);
        const snapshot = { priority, queueGroup, messagesHeld: held, countedAt };
        let redispatches: { taskId: string; message: ReturnType<typeof dispatchMessage> }[] = [];
        const ids = await this.database.transaction(async (tx) => {
          const stranded = await this.maintenance.findUnqueued(tx, snapshot, this.config.reconcile.afterSeconds, RECONCILE_BATCH);
          // The attempt the task waits for next, which claim_task accepts from PENDING or RETRYING.
          redispatches = stranded.map((task) => ({ taskId: task.taskId, message: dispatchMessage(task, task.attempts + 1) }));
          return this.maintenance.redispatchUnqueued(tx, redispatches, `re-dispatched: its message was not in ${queue}`);
        });
        if (ids.length === 0) continue;
        this.metrics.tasksRedispatched.inc({ reason: 'reconciler' }, ids.length);
        this.logger.warn(
          `dispatched ${ids.length} task(s) again: their message was not in ${queue} (${depth.messages} ready, ${depth.consumers ?? 0} consumer(s))`,
          { queue, taskIds: ids },
        );
        const again = new Set(ids);
        for (const { message } of redispatches) {
          if (!again.has(message.body.taskId)) continue;
          const { taskId, type, attempt, correlationId } = message.body;
          this.logger.debug(`task dispatched again: its message was not in ${queue}`, { taskId, type, attempt, correlationId, queue });
        }
        redispatched.push(...ids);
      } catch (error) {
        this.logger.warn(`reconciling ${queue} failed: ${(error as Error).message}`, error);
      }
    }
    if (redispatched.length > 0) this.relay.wake('redispatch');
    return redispatched;
  }
}

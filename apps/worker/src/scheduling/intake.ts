import type { Delivery, DeliveryHandler, Taken } from '#messaging';
import type { PriorityPolicy } from './priority-policy.js';

/** How the worker takes messages: started once, paused while Postgres is in trouble, closed at shutdown. */
export interface MessageIntake {
  start(): Promise<void>;
  /** A slot freed, or a channel came (back) up. */
  slotFreed(): void;
  /** Stops taking new messages; those taken stay with the scheduler. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Closes the channels: every unsettled message goes back to its queue. */
  close(): Promise<void>;
}

/** One queue as the intake sees it (a QueueConsumer in the app, a fake broker in unit tests). */
export interface QueueSource {
  readonly queue: string;
  /** Opens the channel; subscribes at once unless `paused`. */
  start(paused?: boolean): Promise<void>;
  /** Takes up to `max` messages now, handing each to `onDelivery` as it arrives. */
  take(max: number, onDelivery: DeliveryHandler): Promise<Taken>;
  /** Subscribes with a prefetch of one: the next message pushed goes to the watch handler. */
  resume(): Promise<void>;
  /** Cancels that subscription. */
  pause(): Promise<void>;
  close(): Promise<void>;
}

/** Where taken messages go: the scheduler, which starts them at once while a slot is free. */
export interface Slots {
  /** Slots neither running nor promised to a waiting job. */
  readonly free: number;
  /** False once the worker stops: the caller hands the message back. */
  offer(delivery: Delivery): boolean;
}

/**
 * Takes messages for a worker that serves several queues, never more than it has free slots
 * for, so the messages it cannot start yet stay in the broker where any free worker can take
 * them, and the choice between queues is made when a slot is free rather than when a message
 * happens to arrive.
 *
 * Whenever a slot frees, it asks the queues the policy names (strict: highest priority first;
 * weighted: by turns) for as many messages as there are free slots: a basic.get, plus a
 * short-lived consumer for the rest when the broker says more are ready (see
 * QueueConsumer.take), so a busy queue drains in batches as large as the free slots. When every
 * queue is empty it watches them all with a prefetch of one each, so an idle worker starts a new
 * task at once; the first message pushed ends the watch (cancelled) and the asking starts again.
 *
 * What it may hold beyond the running tasks: the messages of a watch that arrive together (one
 * per queue, and only while at least one slot is free). Nothing is ever handed back while the
 * worker runs, so no message goes round the broker again (a quorum queue would count that as a
 * delivery attempt).
 */
export class PullIntake implements MessageIntake {
  private active = false;
  private watching = false;
  private filling = false;
  private fillAgain = false;
  /** Slots promised to asks on their way. */
  private reserved = 0;

  constructor(
    private readonly sources: readonly QueueSource[],
    private readonly policy: PriorityPolicy,
    private readonly slots: Slots,
    private readonly clock: () => number = Date.now,
  ) {}

  /** For each source's subscription: a message pushed while watching. */
  readonly watched: DeliveryHandler = (delivery) => {
    this.hand(delivery);
    if (!this.watching) return;
    this.watching = false;
    void this.unwatch().then(() => this.fill());
  };

  /** Opens the sources' channels without subscribing; each asks once it is up (its onReady calls {@link slotFreed}). */
  async start(): Promise<void> {
    this.active = true;
    await Promise.all(this.sources.map((source) => source.start(true)));
  }

  /** Takes again after {@link pause}. */
  async resume(): Promise<void> {
    this.active = true;
    await this.fill();
  }

  /** A slot freed or a channel came (back) up: take what there is room for. */
  slotFreed(): void {
    if (this.active && !this.watching) void this.fill();
  }

  /** Stops taking; messages already taken stay with the scheduler. */
  async pause(): Promise<void> {
    this.active = false;
    this.watching = false;
    await this.unwatch();
  }

  async close(): Promise<void> {
    this.active = false;
    this.watching = false;
    await Promise.all(this.sources.map((source) => source.close()));
  }

  private get free(): number {
    return this.slots.free - this.reserved;
  }

  private hand(delivery: Delivery): void {
    if (!this.slots.offer(delivery)) delivery.nack(true);
  }

  private async unwatch(): Promise<void> {
    await Promise.all(this.sources.map((source) => source.pause()));
  }

  /** One fill at a time; a call during one makes it go round again. */
  private async fill(): Promise<void> {
    if (this.filling) {
      this.fillAgain = true;
      return;
    }
    this.filling = true;
    try {
      do {
        this.fillAgain = false;
        await this.fillOnce();
      } while (this.fillAgain && this.active && !this.watching);
    } finally {
      this.filling = false;
    }
  }

  private async fillOnce(): Promise<void> {
    const empty = new Set<string>();
    while (this.active && !this.watching && this.free > 0) {
      let took = 0;
      for (const ask of this.policy.plan(this.free, this.clock())) {
        const count = Math.min(ask.count, this.free);
        if (!this.active || count <= 0) break;
        if (empty.has(ask.queue)) continue;
        const source = this.sources.find((s) => s.queue === ask.queue)!;
        this.reserved += count;
        let taken: Taken;
        try {
          taken = await source.take(count, (delivery) => this.hand(delivery));
        } finally {
          this.reserved -= count;
        }
        this.policy.taken(ask.queue, taken.count, taken.waiting, this.clock());
        took += taken.count;
        if (taken.count < count) empty.add(ask.queue);
        if (this.policy.oneAskAtATime && taken.count > 0) break;
      }
      if (took === 0) {
        if (this.active && this.free > 0) await this.watch();
        return;
      }
    }
  }

  private async watch(): Promise<void> {
    this.watching = true;
    await Promise.all(this.sources.map((source) => source.resume()));
  }
}

/**
 * A worker with one queue: one consumer with a prefetch of WORKER_PREFETCH, as many messages as
 * it runs tasks, so it holds nothing it cannot start and a busy queue streams without asking.
 */
export class SubscribedIntake implements MessageIntake {
  constructor(private readonly source: QueueSource) {}

  start(): Promise<void> {
    return this.source.start();
  }

  slotFreed(): void {}

  pause(): Promise<void> {
    return this.source.pause();
  }

  resume(): Promise<void> {
    return this.source.resume();
  }

  close(): Promise<void> {
    return this.source.close();
  }
}

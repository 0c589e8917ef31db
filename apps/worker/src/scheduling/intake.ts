import type { Delivery, DeliveryHandler } from '#messaging';
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
  /** How many messages are ready in the queue; undefined when it cannot be asked (channel down). */
  ready(): Promise<number | undefined>;
  /** Takes up to `max` messages now, handing each to `onDelivery` as it arrives; resolves with how many. */
  take(max: number, onDelivery: DeliveryHandler): Promise<number>;
  /** A lasting consumer with a prefetch of `max`; resolves with its tag, undefined when the channel is down. */
  stream(max: number, onDelivery: DeliveryHandler): Promise<string | undefined>;
  unstream(tag: string): Promise<void>;
  /** Changes whenever the channel is replaced: the streams of an older one are gone. */
  readonly generation: number;
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
 * Whenever a slot frees, it asks every queue how many messages are ready (one round trip, the
 * queues in parallel) and takes as many as there are free slots from the queues the policy
 * names (strict: the highest with a message; weighted: by turns): one with a basic.get, more
 * with a short-lived consumer (see QueueConsumer.take), so a busy queue drains in batches as
 * large as the free slots. When every queue is empty it watches them all with a prefetch of one
 * each, so an idle worker starts a new task at once; the first message pushed ends the watch
 * (cancelled) and the asking starts again.
 *
 * Strict mode streams the top queue: nothing can go before it, so slots it fills are given to a
 * lasting consumer with that many as its prefetch, and a busy top queue drains as a
 * subscription does, one acknowledgement and one push per task. The stream holds nothing
 * beyond its slots; when a slot of it frees and the queue is empty it is cancelled, and its
 * slots go back to asking.
 *
 * Express slot (strict mode, `express`): one slot is kept for the top queue whenever the worker
 * has room for it, as a lasting consumer with a prefetch of one that stays while the queue is
 * empty (and stands for the top queue's watch: one consumer there, as before). A message
 * published to the top queue while the worker runs lower work is pushed at once into that slot
 * and starts, instead of waiting in the queue for the next ask (which comes only after a lower
 * batch was taken, and only once a slot frees). Lower queues take the other slots.
 *
 * What it may hold beyond the running tasks: the messages of a watch that arrive together (one
 * per queue, and only while at least one slot is free). Nothing is ever handed back while the
 * worker runs, so no message goes round the broker again (a quorum queue would count that as a
 * delivery attempt).
 */
/** A lasting consumer on the top queue (strict mode), owning `prefetch` slots. */
interface Stream {
  readonly source: QueueSource;
  readonly prefetch: number;
  readonly generation: number;
  tag?: string;
  /** Its deliveries not yet acknowledged or handed back. */
  unsettled: number;
  closing: boolean;
  /** A question about the queue's depth is on its way; `askAgain`: a slot freed meanwhile. */
  asking: boolean;
  askAgain: boolean;
  /** The express slot: stays while its queue is empty (see {@link PullIntake}). */
  readonly express: boolean;
}

export interface PullIntakeOptions {
  /** Keep one slot for the top queue (strict mode with two or more slots and queues): see {@link PullIntake}. */
  express?: boolean;
}

export class PullIntake implements MessageIntake {
  private active = false;
  private readonly streams: Stream[] = [];
  private watching = false;
  private filling = false;
  private fillAgain = false;
  /** Slots promised to asks on their way. */
  private reserved = 0;

  private readonly express: boolean;

  constructor(
    private readonly sources: readonly QueueSource[],
    private readonly policy: PriorityPolicy,
    private readonly slots: Slots,
    private readonly clock: () => number = Date.now,
    options: PullIntakeOptions = {},
  ) {
    this.express = (options.express ?? false) && policy.oneAskAtATime && sources.length > 1;
  }

  /** For each source's subscription: a message pushed while watching. */
  readonly watched: DeliveryHandler = (delivery) => {
    this.hand(delivery);
    if (!this.watching) return;
    this.watching = false;
    // The watch's cancels are queued now, in this turn: a fill that a freed slot starts before
    // they go (every queue asked and found empty) watches again, and its subscriptions must come
    // after these cancels, not be undone by them.
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

  /**
   * A slot freed or a channel came (back) up: take what there is room for. While watching, a
   * watch needs nothing (its subscriptions come back with their channels), except when the
   * express slot went with its channel: the top queue is not watched then, so the watch ends and
   * a fill opens the express slot again.
   */
  slotFreed(): void {
    if (!this.active) return;
    if (!this.watching) {
      void this.fill();
    } else if (this.express && !this.hasExpressSlot()) {
      this.watching = false;
      void this.unwatch().then(() => this.fill());
    }
  }

  /** Stops taking; messages already taken stay with the scheduler. */
  async pause(): Promise<void> {
    this.active = false;
    this.watching = false;
    await Promise.all([this.unwatch(), ...[...this.streams].map((stream) => this.closeStream(stream))]);
  }

  async close(): Promise<void> {
    this.active = false;
    this.watching = false;
    await Promise.all(this.sources.map((source) => source.close()));
  }

  private get free(): number {
    return this.slots.free - this.reserved - this.streamCredit;
  }

  /** Slots the streams may still fill (a stream on its way or being cancelled counts whole). */
  private get streamCredit(): number {
    this.dropGoneStreams();
    let credit = 0;
    for (const stream of this.streams) credit += Math.max(0, stream.prefetch - stream.unsettled);
    return credit;
  }

  /** Forgets the streams of a replaced channel: the consumer went with it, nothing more comes. */
  private dropGoneStreams(): void {
    // Backwards, so dropping one does not skip the next.
    for (let i = this.streams.length - 1; i >= 0; i--) {
      if (this.streams[i].generation !== this.streams[i].source.generation) this.streams.splice(i, 1);
    }
  }

  private async openStream(source: QueueSource, count: number, express = false): Promise<number> {
    const stream: Stream = { source, prefetch: count, generation: source.generation, unsettled: 0, closing: false, asking: false, askAgain: false, express };
    this.streams.push(stream);
    let delivered = 0;
    stream.tag = await source.stream(count, (delivery) => {
      delivered++;
      stream.unsettled++;
      void delivery.done.then(() => {
        stream.unsettled--;
        this.streamSlotFreed(stream);
      });
      this.hand(delivery);
    });
    if (stream.tag === undefined) this.streams.splice(this.streams.indexOf(stream), 1);
    // Fewer than counted (another worker was quicker): do not keep slots for an empty queue.
    else if (delivered < count) this.streamSlotFreed(stream);
    return delivered;
  }

  /**
   * A stream's slot freed: the broker pushes the next message into it, unless the queue is
   * empty; then the stream goes. One question at a time per stream (slots that free meanwhile
   * ask again once it is answered), so a busy stream asks about once per round trip, not once
   * per task.
   */
  private streamSlotFreed(stream: Stream): void {
    if (stream.closing || stream.tag === undefined || stream.express) return;
    if (stream.asking) {
      stream.askAgain = true;
      return;
    }
    stream.asking = true;
    stream.askAgain = false;
    void stream.source.ready().then((ready) => {
      stream.asking = false;
      if (ready === 0 && !stream.closing && stream.prefetch - stream.unsettled > 0) void this.closeStream(stream);
      else if (stream.askAgain) this.streamSlotFreed(stream);
    });
  }

  private async closeStream(stream: Stream): Promise<void> {
    if (stream.closing && stream.tag === undefined) return;
    stream.closing = true;
    if (stream.tag !== undefined && stream.generation === stream.source.generation) await stream.source.unstream(stream.tag);
    const index = this.streams.indexOf(stream);
    if (index >= 0) this.streams.splice(index, 1);
    this.slotFreed();
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

  /**
   * While slots are free: ask every queue how many messages it has (in parallel, one round
   * trip), let the policy plan, and take. Strict mode takes from one queue per round, so the
   * queues are asked again before a lower one is served a second time.
   */
  private async fillOnce(): Promise<void> {
    await this.keepExpressSlot();
    while (this.active && !this.watching && this.free > 0) {
      const counts = await Promise.all(this.sources.map((source) => source.ready()));
      const ready = new Map(this.sources.map((source, i) => [source.queue, counts[i] ?? 0]));
      const now = this.clock();
      // What each queue holds, for aging and for the credit of empty queues.
      for (const [queue, count] of ready) this.policy.taken(queue, 0, count, now);
      let took = 0;
      for (const ask of this.policy.plan(this.free, now)) {
        const left = ready.get(ask.queue) ?? 0;
        const count = Math.min(ask.count, this.free, left);
        if (!this.active || this.free <= 0) break;
        if (count <= 0) continue;
        const source = this.sources.find((s) => s.queue === ask.queue)!;
        let taken: number;
        if (this.policy.oneAskAtATime && source === this.sources[0]) {
          taken = await this.openStream(source, count);
        } else {
          this.reserved += count;
          try {
            taken = await source.take(count, (delivery) => this.hand(delivery));
          } finally {
            this.reserved -= count;
          }
        }
        // Fewer than counted: another worker was quicker; the rest of that count is gone too.
        ready.set(ask.queue, taken < count ? 0 : left - taken);
        this.policy.taken(ask.queue, taken, ready.get(ask.queue), this.clock());
        took += taken;
        if (this.policy.oneAskAtATime && taken > 0) break;
      }
      if (took === 0) {
        if (this.active && this.free > 0 && [...ready.values()].every((count) => count === 0)) await this.watch();
        // Counted but taken by others meanwhile: ask again.
        else if (this.active && this.free > 0) continue;
        return;
      }
    }
  }

  /**
   * Opens the express slot on the top queue when it is wanted and missing (first fill, after a
   * pause, after its channel was replaced): it takes the first free slot, before the lower
   * queues are asked. What it brings at once (the top queue had messages) starts like any other.
   */
  private async keepExpressSlot(): Promise<void> {
    if (!this.express || !this.active || this.free < 1 || this.hasExpressSlot()) return;
    await this.openStream(this.sources[0], 1, true);
  }

  /** Subscribes a prefetch of one to every queue; not to the top queue while the express slot already listens there. */
  private async watch(): Promise<void> {
    this.watching = true;
    const watched = this.hasExpressSlot() ? this.sources.slice(1) : this.sources;
    await Promise.all(watched.map((source) => source.resume()));
  }

  private hasExpressSlot(): boolean {
    this.dropGoneStreams();
    return this.streams.some((stream) => stream.express && !stream.closing);
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

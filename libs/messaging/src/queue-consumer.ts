import type { ConfirmChannel, Message } from 'amqplib';
import type { AmqpConnectionService } from './amqp-connection.service.js';
import { ChannelAcks, Delivery, type DeliveryHandler } from './delivery.js';
import { LastingChannel } from './lasting-channel.js';

/**
 * One queue on its own channel, re-set up after every reconnect and after the broker closes the
 * channel alone. Two ways to take messages, both handing each delivery over exactly once, to be
 * settled exactly once:
 *
 * - subscribed (`start`, `pause`, `resume`): a consumer with `prefetch`, its deliveries go to
 *   `onDelivery`; re-subscribed on every new channel unless paused;
 * - on demand (`ready`, then `take`): how many messages wait, then up to n of them now: one
 *   with a basic.get, more with a consumer whose prefetch is n, cancelled once the broker
 *   confirmed it (RabbitMQ delivers what a new consumer's prefetch allows before it answers),
 *   so n messages cost two round trips, not n.
 *
 * Channel operations run one after another, so a `take` never changes the prefetch a
 * subscription is being made with.
 */
export class QueueConsumer {
  private readonly channel: LastingChannel;
  private consumerTag?: string;
  private current?: { channel: ConfirmChannel; open: () => boolean; acks: ChannelAcks };
  private paused = false;
  /** Counts the channels set up: a stream of an older one is gone. */
  generation = 0;
  /** The operation in progress on the channel; the next one waits for it. */
  private busy: Promise<unknown> = Promise.resolve();
  /** The prefetch a take last set on `takeChannel`, so a take of the same size skips basic.qos. */
  private takePrefetch = 0;
  private takeChannel?: ConfirmChannel;

  constructor(
    private readonly amqp: AmqpConnectionService,
    readonly queue: string,
    private readonly prefetch: number,
    private readonly onDelivery: DeliveryHandler,
    /** Called once each new channel is set up (first start, reconnects): what the broker holds may have changed. */
    private readonly onReady: () => void = () => undefined,
  ) {
    this.channel = new LastingChannel(amqp, `consumer:${queue}`, true, async (channel) => {
      let open = true;
      channel.on('close', () => (open = false));
      channel.on('error', () => (open = false));
      this.current = { channel, open: () => open, acks: new ChannelAcks(channel) };
      this.generation++;
      this.consumerTag = undefined;
      this.busy = Promise.resolve();
      await this.amqp.topologyReady();
      if (!this.paused) await this.subscribe();
      this.onReady();
    });
  }

  /** Opens the channel and subscribes, or only opens it when `paused` (for {@link take} and a later {@link resume}). */
  async start(paused = false): Promise<void> {
    this.paused = paused;
    await this.channel.open();
  }

  private serial<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.busy.then(operation, operation);
    this.busy = run.catch(() => undefined);
    return run;
  }

  private subscribe(): Promise<void> {
    return this.serial(async () => {
      const current = this.current;
      if (!current || !current.open() || this.consumerTag || this.paused) return;
      const { channel, open, acks } = current;
      // Set before every subscription: a take in between uses its own.
      await channel.prefetch(this.prefetch);
      this.takePrefetch = 0;
      const { consumerTag } = await channel.consume(this.queue, (message) => {
        // A null message means the broker cancelled the consumer (queue deleted); the
        // manager re-runs the setup on the next reconnect.
        if (message) this.onDelivery(new Delivery(message, this.queue, acks, open));
      });
      this.consumerTag = consumerTag;
      // Paused while the subscription was on its way: cancel it now.
      if (this.paused) await this.cancel();
    });
  }

  private async cancel(): Promise<void> {
    const tag = this.consumerTag;
    this.consumerTag = undefined;
    if (tag && this.current?.open()) {
      try {
        await this.current.channel.cancel(tag);
      } catch {
        // Channel already closed: nothing is being delivered any more.
      }
    }
  }

  /** How many messages are ready in the queue (queue.declare passive); undefined when the channel is down. */
  ready(): Promise<number | undefined> {
    return this.serial(async () => {
      const current = this.current;
      if (!current || !current.open()) return undefined;
      try {
        return (await current.channel.checkQueue(this.queue)).messageCount;
      } catch {
        return undefined;
      }
    });
  }

  /**
   * Takes up to `max` messages now, handing each to `onDelivery` as it arrives, and resolves
   * with how many came: one with a basic.get; more with a consumer whose prefetch is `max`,
   * cancelled as soon as the broker confirmed it (the cancel goes on in the background; the
   * next operation on this channel waits for it). A closed channel brings nothing.
   */
  take(max: number, onDelivery: DeliveryHandler): Promise<number> {
    let taken!: (count: number) => void;
    const result = new Promise<number>((resolve) => (taken = resolve));
    void this.serial(async () => {
      const current = this.current;
      if (!current || !current.open() || max < 1) return taken(0);
      const { channel, open, acks } = current;
      let count = 0;
      const hand = (message: Message) => {
        count++;
        onDelivery(new Delivery(message, this.queue, acks, open));
      };
      try {
        if (max === 1) {
          const message = await channel.get(this.queue, { noAck: false });
          if (message) hand(message);
          return taken(count);
        }
        if (this.takePrefetch !== max || this.takeChannel !== channel) {
          await channel.prefetch(max);
          this.takePrefetch = max;
          this.takeChannel = channel;
        }
        const { consumerTag } = await channel.consume(this.queue, (message) => {
          if (message) hand(message);
        });
        taken(count);
        await channel.cancel(consumerTag);
      } catch {
        // The channel closed on the way: what came is on a dead channel (the broker requeued
        // it) and the executor drops it; the new channel's setup calls onReady.
        taken(count);
      }
    });
    return result;
  }

  /**
   * Subscribes a second consumer with a prefetch of `max` that stays until {@link unstream}:
   * each message it delivers has a slot, and each acknowledgement lets the broker push the next
   * one at once. Resolves with its tag (undefined when the channel is down) once the broker
   * confirmed it.
   */
  stream(max: number, onDelivery: DeliveryHandler): Promise<string | undefined> {
    return this.serial(async () => {
      const current = this.current;
      if (!current || !current.open() || max < 1) return undefined;
      const { channel, open, acks } = current;
      try {
        await channel.prefetch(max);
        this.takePrefetch = max;
        this.takeChannel = channel;
        const { consumerTag } = await channel.consume(this.queue, (message) => {
          if (message) onDelivery(new Delivery(message, this.queue, acks, open));
        });
        return consumerTag;
      } catch {
        return undefined;
      }
    });
  }

  /** Cancels a {@link stream}; nothing is delivered for it after this resolves. */
  unstream(tag: string): Promise<void> {
    return this.serial(async () => {
      const current = this.current;
      if (!current || !current.open()) return;
      try {
        await current.channel.cancel(tag);
      } catch {
        // The channel closed: it delivers nothing more.
      }
    });
  }

  /** Stops taking new deliveries; unsettled ones stay ours until settled or the channel closes. */
  async pause(): Promise<void> {
    this.paused = true;
    await this.serial(() => this.cancel());
  }

  /** Takes deliveries again after {@link pause}. */
  async resume(): Promise<void> {
    this.paused = false;
    try {
      await this.subscribe();
    } catch {
      // The channel is being replaced; its setup subscribes.
    }
  }

  /** Closes the channel; every unacknowledged delivery goes back to the queue. */
  async close(): Promise<void> {
    this.paused = true;
    // Acknowledgements asked for but not yet sent go out first: those messages are done.
    if (this.current?.open()) this.current.acks.flush();
    await this.channel.close();
  }
}

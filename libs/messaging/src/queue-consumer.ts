import type { ConfirmChannel } from 'amqplib';
import type { AmqpConnectionService } from './amqp-connection.service.js';
import { Delivery, type DeliveryHandler } from './delivery.js';
import { LastingChannel } from './lasting-channel.js';

/** What {@link QueueConsumer.take} brought. */
export interface Taken {
  /** Messages handed to the callback. */
  count: number;
  /** Messages the broker said were still ready in the queue after the first one; undefined when the channel failed. */
  waiting: number | undefined;
}

/**
 * One queue on its own channel, re-set up after every reconnect and after the broker closes the
 * channel alone. Two ways to take messages, both handing each delivery over exactly once, to be
 * settled exactly once:
 *
 * - subscribed (`start`, `pause`, `resume`): a consumer with `prefetch`, its deliveries go to
 *   `onDelivery`; re-subscribed on every new channel unless paused;
 * - on demand (`take`): up to n messages now, with a basic.get and, when the broker says more
 *   are ready, a consumer limited to the rest and cancelled at once (RabbitMQ delivers what the
 *   new consumer's prefetch allows before it answers the cancel), so n messages cost four round
 *   trips, not n.
 *
 * Channel operations run one after another, so a `take` never changes the prefetch a
 * subscription is being made with.
 */
export class QueueConsumer {
  private readonly channel: LastingChannel;
  private consumerTag?: string;
  private current?: { channel: ConfirmChannel; open: () => boolean };
  private paused = false;
  /** The operation in progress on the channel; the next one waits for it. */
  private busy: Promise<unknown> = Promise.resolve();

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
      this.current = { channel, open: () => open };
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
      const { channel, open } = current;
      // Set before every subscription: a take in between uses its own.
      await channel.prefetch(this.prefetch);
      const { consumerTag } = await channel.consume(this.queue, (message) => {
        // A null message means the broker cancelled the consumer (queue deleted); the
        // manager re-runs the setup on the next reconnect.
        if (message) this.onDelivery(new Delivery(message, this.queue, channel, open));
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

  /**
   * Takes up to `max` messages now, handing each to `onDelivery` as it arrives. Resolves with
   * how many came and how many the broker still had ready; a closed channel brings nothing.
   */
  take(max: number, onDelivery: DeliveryHandler): Promise<Taken> {
    return this.serial(async () => {
      const current = this.current;
      if (!current || !current.open() || max < 1) return { count: 0, waiting: undefined };
      const { channel, open } = current;
      let count = 0;
      try {
        const first = await channel.get(this.queue, { noAck: false });
        if (!first) return { count: 0, waiting: 0 };
        count++;
        onDelivery(new Delivery(first, this.queue, channel, open));
        const ready = first.fields.messageCount;
        const rest = Math.min(max - 1, ready);
        if (rest > 0) {
          await channel.prefetch(rest);
          const { consumerTag } = await channel.consume(this.queue, (message) => {
            if (message) {
              count++;
              onDelivery(new Delivery(message, this.queue, channel, open));
            }
          });
          await channel.cancel(consumerTag);
        }
        return { count, waiting: Math.max(0, ready - (count - 1)) };
      } catch {
        // The channel closed on the way: what came is on a dead channel (the broker requeued
        // it) and the caller's executor drops it; the new channel's setup calls onReady.
        return { count, waiting: undefined };
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
    await this.channel.close();
  }
}

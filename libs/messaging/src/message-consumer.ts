import type { ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { AmqpConnectionService } from './amqp-connection.service.js';
import { declareTopology } from './declare-topology.js';

/**
 * One delivery and the channel it came on. Acknowledging goes to that very channel: after a
 * reconnect its delivery tag means nothing on the new channel (acking it there would close the
 * channel with PRECONDITION_FAILED), and the broker has already requeued the message.
 */
export class Delivery {
  private settled = false;

  constructor(
    readonly message: ConsumeMessage,
    readonly queue: string,
    private readonly channel: ConfirmChannel,
    private readonly isOpen: () => boolean,
  ) {}

  get redelivered(): boolean {
    return this.message.fields.redelivered;
  }

  /** Acknowledges; returns false when the channel had closed (the broker requeued the message). */
  ack(): boolean {
    return this.settle(() => this.channel.ack(this.message));
  }

  /** Hands the message back (`requeue`) or dead-letters it (no requeue). */
  nack(requeue: boolean): boolean {
    return this.settle(() => this.channel.nack(this.message, false, requeue));
  }

  private settle(action: () => void): boolean {
    if (this.settled) return false;
    this.settled = true;
    if (!this.isOpen()) return false;
    try {
      action();
      return true;
    } catch {
      // The channel closed between the check and the call; the broker requeues the message.
      return false;
    }
  }
}

export type DeliveryHandler = (delivery: Delivery) => void;

/**
 * Consumes one queue with its own channel and prefetch, re-subscribing after every reconnect.
 * Deliveries go to `onDelivery`, which must settle each exactly once.
 */
export class QueueConsumer {
  private wrapper?: ChannelWrapper;
  private consumerTag?: string;
  private current?: ConfirmChannel;
  private paused = false;

  constructor(
    private readonly amqp: AmqpConnectionService,
    readonly queue: string,
    private readonly prefetch: number,
    private readonly onDelivery: DeliveryHandler,
  ) {}

  async start(): Promise<void> {
    this.paused = false;
    this.wrapper = this.amqp.createChannel({
      name: `consumer:${this.queue}`,
      confirm: true,
      setup: async (channel: ConfirmChannel) => {
        let open = true;
        channel.on('close', () => {
          open = false;
        });
        channel.on('error', () => {
          open = false;
        });
        this.current = channel;
        await declareTopology(channel, this.amqp.topology);
        if (this.paused) return;
        await channel.prefetch(this.prefetch);
        const { consumerTag } = await channel.consume(this.queue, (message) => {
          // A null message means the broker cancelled the consumer (queue deleted); the
          // manager re-runs this setup on the next reconnect.
          if (message) this.onDelivery(new Delivery(message, this.queue, channel, () => open));
        });
        this.consumerTag = consumerTag;
      },
    });
    await this.wrapper.waitForConnect();
  }

  /** Stops taking new deliveries; unsettled ones stay ours until acked or the channel closes. */
  async stopConsuming(): Promise<void> {
    this.paused = true;
    const tag = this.consumerTag;
    this.consumerTag = undefined;
    if (tag && this.current) {
      try {
        await this.current.cancel(tag);
      } catch {
        // Channel already closed: nothing is being delivered any more.
      }
    }
  }

  /** Closes the channel; every unacknowledged delivery goes back to the queue. */
  async close(): Promise<void> {
    await this.wrapper?.close();
    this.wrapper = undefined;
  }
}

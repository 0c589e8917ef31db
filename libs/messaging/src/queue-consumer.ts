import type { ConfirmChannel } from 'amqplib';
import type { AmqpConnectionService } from './amqp-connection.service.js';
import { ChannelAcks, Delivery, type DeliveryHandler } from './delivery.js';
import { LastingChannel } from './lasting-channel.js';

/**
 * Consumes one queue with its own channel and prefetch, re-subscribing after every reconnect
 * and after the broker closes the channel alone. Deliveries go to `onDelivery`, which must
 * settle each exactly once. Consuming can be paused and resumed.
 */
export class QueueConsumer {
  private readonly channel: LastingChannel;
  private consumerTag?: string;
  private current?: { channel: ConfirmChannel; open: () => boolean; acks: ChannelAcks };
  private paused = false;

  constructor(
    private readonly amqp: AmqpConnectionService,
    readonly queue: string,
    private readonly prefetch: number,
    private readonly onDelivery: DeliveryHandler,
  ) {
    this.channel = new LastingChannel(amqp, `consumer:${queue}`, true, async (channel) => {
      let open = true;
      channel.on('close', () => (open = false));
      channel.on('error', () => (open = false));
      this.current = { channel, open: () => open, acks: new ChannelAcks(channel) };
      this.consumerTag = undefined;
      await this.amqp.topologyReady();
      await channel.prefetch(this.prefetch);
      if (!this.paused) await this.subscribe();
    });
  }

  async start(): Promise<void> {
    this.paused = false;
    await this.channel.open();
  }

  private async subscribe(): Promise<void> {
    const current = this.current;
    if (!current || !current.open() || this.consumerTag) return;
    const { channel, open, acks } = current;
    const { consumerTag } = await channel.consume(this.queue, (message) => {
      // A null message means the broker cancelled the consumer (queue deleted); the
      // manager re-runs the setup on the next reconnect.
      if (message) this.onDelivery(new Delivery(message, this.queue, acks, open));
    });
    this.consumerTag = consumerTag;
    // Paused while the subscription was on its way: cancel it now.
    if (this.paused) await this.pause();
  }

  /** Stops taking new deliveries; unsettled ones stay ours until settled or the channel closes. */
  async pause(): Promise<void> {
    this.paused = true;
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

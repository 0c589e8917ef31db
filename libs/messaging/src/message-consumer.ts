import type { ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { AmqpConnectionService } from './amqp-connection.service.js';
import { type ControlMessage, parseControlMessage } from './task-message.js';
import { CONTROL_EXCHANGE } from './topology.js';

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

  /**
   * False once the channel it came on has closed: the broker has requeued the message, so a
   * delivery still waiting in the worker's buffer must not be started.
   */
  get open(): boolean {
    return !this.settled && this.isOpen();
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

/** Pause before replacing a channel the broker closed, so a channel closed at once again cannot spin. */
const REOPEN_DELAY_MS = 1_000;

/**
 * A channel wrapper that is replaced whenever its channel closes while we still want it.
 * amqp-connection-manager re-creates a channel only after the connection reconnects; a channel
 * the broker closes on its own (its consumer_timeout, a precondition failure, a deleted queue)
 * would otherwise stay closed, and its queue would have no consumer until the next reconnect.
 * The old wrapper is closed first (it unsubscribes from reconnects), so only one channel of
 * each kind is ever set up.
 */
class LastingChannel {
  private wrapper?: ChannelWrapper;
  private generation = 0;
  private closed = false;

  constructor(
    private readonly amqp: AmqpConnectionService,
    private readonly name: string,
    private readonly confirm: boolean,
    private readonly setup: (channel: ConfirmChannel) => Promise<void>,
  ) {}

  /** Resolves once the first channel is set up. */
  open(): Promise<void> {
    this.closed = false;
    const generation = ++this.generation;
    const wrapper = this.amqp.createChannel({
      name: this.name,
      confirm: this.confirm,
      setup: async (channel: ConfirmChannel) => {
        channel.on('close', () => this.replace(generation));
        await this.setup(channel);
      },
    });
    this.wrapper = wrapper;
    return wrapper.waitForConnect();
  }

  private replace(generation: number): void {
    if (this.closed || generation !== this.generation) return;
    const old = this.wrapper;
    this.wrapper = undefined;
    this.generation++;
    old?.close().catch(() => undefined);
    setTimeout(() => {
      if (this.closed || this.wrapper) return;
      // Not awaited: with the broker down the new wrapper waits for the reconnect.
      this.open().catch(() => undefined);
    }, REOPEN_DELAY_MS).unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.generation++;
    const wrapper = this.wrapper;
    this.wrapper = undefined;
    await wrapper?.close();
  }
}

/**
 * Consumes one queue with its own channel and prefetch, re-subscribing after every reconnect
 * and after the broker closes the channel alone. Deliveries go to `onDelivery`, which must
 * settle each exactly once. Consuming can be paused and resumed.
 */
export class QueueConsumer {
  private readonly channel: LastingChannel;
  private consumerTag?: string;
  private current?: { channel: ConfirmChannel; open: () => boolean };
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
      this.current = { channel, open: () => open };
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
    const { channel, open } = current;
    const { consumerTag } = await channel.consume(this.queue, (message) => {
      // A null message means the broker cancelled the consumer (queue deleted); the
      // manager re-runs the setup on the next reconnect.
      if (message) this.onDelivery(new Delivery(message, this.queue, channel, open));
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
    await this.channel.close();
  }
}

/**
 * Receives control messages (cancel a running task) on a queue of this process's own, bound to
 * the fanout exchange `tasks.control`: every worker sees every control message.
 */
export class ControlConsumer {
  private readonly channel: LastingChannel;

  constructor(
    private readonly amqp: AmqpConnectionService,
    private readonly onMessage: (message: ControlMessage) => void,
  ) {
    this.channel = new LastingChannel(amqp, 'control', false, async (channel) => {
      await this.amqp.topologyReady();
      // Server-named, exclusive, deleted with the connection: it lives exactly as long as this worker.
      const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
      await channel.bindQueue(queue, CONTROL_EXCHANGE, '');
      await channel.consume(
        queue,
        (message) => {
          const control = message ? parseControlMessage(message.content) : null;
          if (control) this.onMessage(control);
        },
        { noAck: true },
      );
    });
  }

  async start(): Promise<void> {
    await this.channel.open();
  }

  async close(): Promise<void> {
    await this.channel.close();
  }
}

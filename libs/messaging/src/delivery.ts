import type { ConfirmChannel, Message } from 'amqplib';
import { AckCoalescer } from './ack-coalescer.js';

/**
 * The acknowledgements of one consumer channel. An acknowledgement asked for is sent at the end
 * of the current turn of the event loop (setImmediate), together with the others asked for in
 * that turn, as few frames as {@link AckCoalescer} finds exactly right. A nack is sent at once.
 * Whatever is still unsent when the channel closes is moot: the broker requeues those messages.
 */
export class ChannelAcks {
  private readonly coalescer = new AckCoalescer();
  private readonly messages = new Map<number, Message>();
  private scheduled?: NodeJS.Immediate;

  constructor(private readonly channel: ConfirmChannel) {}

  received(message: Message): void {
    this.coalescer.received(message.fields.deliveryTag);
    this.messages.set(message.fields.deliveryTag, message);
  }

  ack(message: Message): void {
    this.coalescer.ack(message.fields.deliveryTag);
    this.scheduled ??= setImmediate(() => this.flush());
  }

  nack(message: Message, requeue: boolean): void {
    this.coalescer.settledElsewhere(message.fields.deliveryTag);
    this.messages.delete(message.fields.deliveryTag);
    this.channel.nack(message, false, requeue);
  }

  /** Sends every acknowledgement asked for so far. */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    for (const frame of this.coalescer.take()) {
      const message = this.messages.get(frame.tag)!;
      if (frame.multiple) {
        for (const tag of this.messages.keys()) if (tag <= frame.tag) this.messages.delete(tag);
      } else {
        this.messages.delete(frame.tag);
      }
      try {
        this.channel.ack(message, frame.multiple);
      } catch {
        // The channel closed meanwhile: the broker requeues what it had not been told.
        return;
      }
    }
  }
}

/**
 * One delivery (pushed to a consumer or fetched with basic.get) and the channel it came on. Acknowledging goes to that very channel: after a
 * reconnect its delivery tag means nothing on the new channel (acking it there would close the
 * channel with PRECONDITION_FAILED), and the broker has already requeued the message.
 */
export class Delivery {
  private settled = false;
  private whenSettled?: () => void;
  private settledPromise?: Promise<void>;

  /**
   * Resolves once the delivery is acknowledged or handed back (also on a closed channel). Made
   * when first asked for: most deliveries are never waited on, and a promise per delivery is
   * garbage the worker would make thousands of times a second.
   */
  get done(): Promise<void> {
    this.settledPromise ??= this.settled ? Promise.resolve() : new Promise<void>((resolve) => (this.whenSettled = resolve));
    return this.settledPromise;
  }

  constructor(
    readonly message: Message,
    readonly queue: string,
    private readonly acks: ChannelAcks,
    private readonly isOpen: () => boolean,
  ) {
    acks.received(message);
  }

  /**
   * False once the channel it came on has closed: the broker has requeued the message, so a
   * delivery still waiting in the worker's buffer must not be started.
   */
  get open(): boolean {
    return !this.settled && this.isOpen();
  }

  /**
   * Acknowledges, with the other acknowledgements of this turn of the event loop; returns false
   * when the channel had closed (the broker requeued the message).
   */
  ack(): boolean {
    return this.settle(() => this.acks.ack(this.message));
  }

  /** Hands the message back (`requeue`) or dead-letters it (no requeue), at once. */
  nack(requeue: boolean): boolean {
    return this.settle(() => this.acks.nack(this.message, requeue));
  }

  private settle(action: () => void): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.whenSettled?.();
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

import type { ConfirmChannel, Message } from 'amqplib';

/**
 * One delivery (pushed to a consumer or fetched with basic.get) and the channel it came on. Acknowledging goes to that very channel: after a
 * reconnect its delivery tag means nothing on the new channel (acking it there would close the
 * channel with PRECONDITION_FAILED), and the broker has already requeued the message.
 */
export class Delivery {
  private settled = false;
  private whenSettled?: () => void;
  /** Resolves once the delivery is acknowledged or handed back (also on a closed channel). */
  readonly done = new Promise<void>((resolve) => (this.whenSettled = resolve));

  constructor(
    readonly message: Message,
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

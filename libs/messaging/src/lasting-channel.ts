import type { ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel } from 'amqplib';
import type { AmqpConnectionService } from './amqp-connection.service.js';

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
export class LastingChannel {
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

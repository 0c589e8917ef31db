import type { AmqpConnectionService } from './amqp-connection.service.js';
import { LastingChannel } from './lasting-channel.js';
import { type ControlMessage, parseControlMessage } from './task-message.js';
import { CONTROL_EXCHANGE } from './topology.js';

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

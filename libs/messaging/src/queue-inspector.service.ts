import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { ChannelWrapper } from 'amqp-connection-manager';
import { AmqpConnectionService } from './amqp-connection.service.js';

export interface QueueDepth {
  queue: string;
  /** Messages ready for delivery; null when the broker could not be asked. */
  messages: number | null;
  consumers: number | null;
}

/**
 * Reads queue depths with passive declares, on a channel of its own: a failed check closes the
 * channel it ran on, and that must never be the publisher's.
 */
@Injectable()
export class QueueInspector implements OnApplicationShutdown {
  private channel?: ChannelWrapper;

  constructor(private readonly amqp: AmqpConnectionService) {}

  async depths(queues: readonly string[], timeoutMs = 2000): Promise<QueueDepth[]> {
    if (!this.amqp.isConnected()) return queues.map((queue) => ({ queue, messages: null, consumers: null }));
    this.channel ??= this.amqp.createChannel({ name: 'inspector', confirm: false });
    const channel = this.channel;
    return Promise.all(
      queues.map(async (queue) => {
        try {
          const reply = await withTimeout(channel.checkQueue(queue), timeoutMs);
          return { queue, messages: reply.messageCount, consumers: reply.consumerCount };
        } catch {
          return { queue, messages: null, consumers: null };
        }
      }),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.channel?.close();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out')), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

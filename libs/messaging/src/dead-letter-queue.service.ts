import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { ChannelWrapper } from 'amqp-connection-manager';
import { AmqpConnectionService } from './amqp-connection.service.js';
import { DEAD_LETTER_QUEUE } from './topology.js';

/** RabbitMQ could not be asked (disconnected, or no answer in time). */
export class BrokerUnavailableError extends Error {
  constructor(reason: string) {
    super(`RabbitMQ is not available: ${reason}`);
    this.name = 'BrokerUnavailableError';
  }
}

/**
 * `tasks.dlq`, where a copy of every task that failed for good (and every message a worker
 * could not read) is kept as a record. The tasks themselves stay FAILED in Postgres and are
 * replayed from there; this is how the API counts and purges the copies, on a channel of its
 * own (a failed call closes the channel it ran on, and that must never be the publisher's).
 */
@Injectable()
export class DeadLetterQueue implements OnApplicationShutdown {
  private channel?: ChannelWrapper;

  constructor(private readonly amqp: AmqpConnectionService) {}

  /** How many copies the queue holds now; null when the broker cannot be asked. */
  async depth(timeoutMs = 2000): Promise<number | null> {
    try {
      const reply = await this.call((channel) => channel.checkQueue(DEAD_LETTER_QUEUE), timeoutMs);
      return reply.messageCount;
    } catch {
      return null;
    }
  }

  /**
   * Deletes every copy the queue holds and returns how many. Copies that are being delivered to
   * a consumer (nobody consumes `tasks.dlq` in this service) are not counted by RabbitMQ and stay.
   * Throws BrokerUnavailableError when the broker cannot be asked, so the caller can say so.
   */
  async purge(timeoutMs = 5000): Promise<number> {
    const reply = await this.call((channel) => channel.purgeQueue(DEAD_LETTER_QUEUE), timeoutMs);
    return reply.messageCount;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.channel?.close();
  }

  private async call<T>(work: (channel: ChannelWrapper) => Promise<T>, timeoutMs: number): Promise<T> {
    if (!this.amqp.isConnected()) throw new BrokerUnavailableError('not connected');
    this.channel ??= this.amqp.createChannel({ name: 'dead-letter-queue', confirm: false });
    const channel = this.channel;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        work(channel),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new BrokerUnavailableError(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}

import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { AmqpConnectionService } from './amqp-connection.service.js';
import type { OutgoingMessage } from './task-message.js';

/** The broker confirmed the message but could route it to no queue. */
export class UnroutableMessageError extends Error {
  readonly code = 'MESSAGE_UNROUTABLE';
  constructor(exchange: string, routingKey: string) {
    super(`RabbitMQ returned the message as unroutable (exchange '${exchange}', routing key '${routingKey}')`);
    this.name = 'UnroutableMessageError';
  }
}

/**
 * Publishes persistent messages on a confirm channel with `mandatory`. A publish resolves only
 * when the broker has confirmed it and did not return it: the broker confirms an unroutable
 * message too, after sending it back, so a returned message counts as not published.
 */
@Injectable()
export class MessagePublisher implements OnApplicationShutdown {
  private readonly channel: ChannelWrapper;
  /** messageIds the broker returned; the return always arrives before the confirm. */
  private readonly returned = new Set<string>();

  constructor(private readonly amqp: AmqpConnectionService) {
    this.channel = amqp.createChannel({
      name: 'publisher',
      confirm: true,
      setup: async (channel: ConfirmChannel) => {
        channel.on('return', (message: ConsumeMessage) => {
          if (message.properties.messageId) this.returned.add(String(message.properties.messageId));
        });
        await amqp.topologyReady();
      },
    });
  }

  /**
   * Resolves once RabbitMQ holds the message durably in at least one queue. With `mandatory`
   * false (broadcasts, which may have no listener) an unroutable message is simply dropped.
   */
  async publish(message: OutgoingMessage, options: { timeoutMs?: number; mandatory?: boolean } = {}): Promise<void> {
    await this.publishContent(message, Buffer.from(JSON.stringify(message.body)), options);
  }

  /**
   * {@link publish} for a body already serialised as JSON (the relay publishes the outbox's JSON
   * text as it is), with the same properties.
   */
  async publishContent(message: Omit<OutgoingMessage, 'body'>, content: Buffer, options: { timeoutMs?: number; mandatory?: boolean } = {}): Promise<void> {
    const { timeoutMs = 5000, mandatory = true } = options;
    await this.channel.publish(message.exchange, message.routingKey, content, {
      persistent: true,
      mandatory,
      contentType: 'application/json',
      messageId: message.messageId,
      correlationId: message.correlationId,
      headers: message.headers,
      timestamp: Math.floor(Date.now() / 1000),
      timeout: timeoutMs,
    });
    if (this.returned.delete(message.messageId)) throw new UnroutableMessageError(message.exchange, message.routingKey);
  }

  /** Publishes bytes as they are (a message that is not ours, moved to the DLQ), with confirm and mandatory. */
  async publishRaw(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: { messageId: string; headers: Record<string, string | number> },
    timeoutMs = 5000,
  ): Promise<void> {
    await this.channel.publish(exchange, routingKey, content, { persistent: true, mandatory: true, ...options, timeout: timeoutMs });
    if (this.returned.delete(options.messageId)) throw new UnroutableMessageError(exchange, routingKey);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.channel.close();
  }
}

import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import amqp, { type AmqpConnectionManager, type ChannelWrapper, type CreateChannelOpts } from 'amqp-connection-manager';
import { APP_CONFIG, type AppConfig } from '#config';
import { buildTopology, type Topology } from './topology.js';

/**
 * The process's one connection to RabbitMQ. amqp-connection-manager reconnects by itself and
 * re-runs every channel's setup (topology, consumers) after a reconnect.
 */
@Injectable()
export class AmqpConnectionService implements OnApplicationShutdown {
  private readonly logger = new Logger('Amqp');
  readonly topology: Topology;
  private manager?: AmqpConnectionManager;
  private lastError?: string;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.topology = buildTopology({ queueType: config.rabbitmq.queueType, retryDelaysSeconds: config.retry.delaysSeconds });
  }

  private connection(): AmqpConnectionManager {
    if (!this.manager) {
      this.manager = amqp.connect([this.config.rabbitmq.url], { heartbeatIntervalInSeconds: 5, reconnectTimeInSeconds: 1 });
      this.manager.on('connect', () => {
        this.lastError = undefined;
        this.logger.log('connected to RabbitMQ');
      });
      this.manager.on('disconnect', ({ err }) => {
        this.lastError = err?.message ?? 'disconnected';
        this.logger.warn(`RabbitMQ connection lost: ${this.lastError}; reconnecting`);
      });
      this.manager.on('connectFailed', ({ err }) => {
        if (this.lastError !== err?.message) this.logger.warn(`cannot reach RabbitMQ: ${err?.message}; retrying`);
        this.lastError = err?.message;
      });
    }
    return this.manager;
  }

  /** A channel that re-runs `options.setup` after every reconnect; setup failures are logged, then retried on the next connect. */
  createChannel(options: CreateChannelOpts): ChannelWrapper {
    const channel = this.connection().createChannel(options);
    channel.on('error', (error: Error, info?: { name?: string }) => {
      this.logger.warn(`channel ${info?.name ?? options.name ?? ''} failed: ${error.message}`);
    });
    return channel;
  }

  isConnected(): boolean {
    return this.manager?.isConnected() ?? false;
  }

  /** Why the broker is not reachable, for `/ready`. */
  describeProblem(): string {
    return this.lastError ?? 'not connected';
  }

  async close(): Promise<void> {
    const manager = this.manager;
    this.manager = undefined;
    await manager?.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}

import { hostname } from 'node:os';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import amqp, { type AmqpConnectionManager, type ChannelWrapper, type CreateChannelOpts } from 'amqp-connection-manager';
import type { ChannelModel } from 'amqplib';
import { APP_CONFIG, type AppConfig } from '#config';
import { declareTopology } from './declare-topology.js';
import { buildTopology, type Topology } from './topology.js';

/**
 * The process's one connection to RabbitMQ. amqp-connection-manager reconnects by itself and
 * re-runs every channel's setup (consumers, return listeners) after a reconnect. After each
 * connect the topology is declared once, and every channel's setup waits for it.
 */
@Injectable()
export class AmqpConnectionService implements OnApplicationShutdown {
  private readonly logger = new Logger('Amqp');
  readonly topology: Topology;
  private manager?: AmqpConnectionManager;
  private lastError?: string;
  private declared: Promise<void> = new Promise(() => undefined);
  private readonly connectListeners: (() => void)[] = [];

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.topology = buildTopology({ queueType: config.rabbitmq.queueType, retryDelaysSeconds: config.retry.delaysSeconds });
  }

  private connection(): AmqpConnectionManager {
    if (!this.manager) {
      const manager = amqp.connect([this.config.rabbitmq.url], {
        heartbeatIntervalInSeconds: 5,
        reconnectTimeInSeconds: 1,
        // Shown by `rabbitmqctl list_connections client_properties` and the management UI, so an
        // operator (or a test) can tell which process a connection belongs to.
        // noDelay: a worker's acknowledgement is followed at once by its basic.get for the next
        // message; with Nagle's algorithm the second small frame would wait for the TCP ack of
        // the first (about 40 ms with delayed acks).
        connectionOptions: { clientProperties: { connection_name: `${hostname()}:${process.pid}` }, noDelay: true },
      });
      this.manager = manager;
      // Registered before any channel exists, so it runs before their setups on every connect.
      manager.on('connect', ({ connection }) => {
        this.lastError = undefined;
        this.logger.log('connected to RabbitMQ');
        // amqp-connection-manager connects with amqplib's promise API: this is a ChannelModel.
        const model = connection as unknown as ChannelModel;
        this.declared = declareTopology(() => model.createChannel(), this.topology).then(
          (mismatches) => {
            for (const m of mismatches) {
              this.logger.warn(`${m.kind} ${m.name} exists with other arguments; using it as it is (${m.reason})`);
            }
            for (const listener of this.connectListeners) listener();
          },
          (error: Error) => {
            // Closing while declaring is not a failure worth reporting.
            if (this.manager === manager) this.logger.error(`declaring the topology failed: ${error.message}`);
            throw error;
          },
        );
        this.declared.catch(() => undefined);
      });
      manager.on('disconnect', ({ err }) => {
        this.lastError = err?.message ?? 'disconnected';
        this.logger.warn(`RabbitMQ connection lost: ${this.lastError}; reconnecting`);
      });
      manager.on('connectFailed', ({ err }) => {
        if (this.lastError !== err?.message) this.logger.warn(`cannot reach RabbitMQ: ${err?.message}; retrying`);
        this.lastError = err?.message;
      });
    }
    return this.manager;
  }

  /** Resolves when the topology of the current connection is declared. Channel setups await it. */
  topologyReady(): Promise<void> {
    return this.declared;
  }

  /** Called after every (re)connect, once the topology is declared. */
  onConnect(listener: () => void): void {
    this.connectListeners.push(listener);
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

import { hostname } from 'node:os';
import { Inject, Injectable, Logger, type OnApplicationShutdown, Optional } from '@nestjs/common';
import amqp, { type AmqpConnectionManager, type ChannelWrapper, type CreateChannelOpts } from 'amqp-connection-manager';
import type { ChannelModel } from 'amqplib';
import { APP_CONFIG, type AppConfig, brokerAddress } from '#config';
import { coalesceWrites, type MuxedConnection } from './coalesced-writes.js';
import { declareTopology } from './declare-topology.js';
import { buildTopology, type Topology } from './topology.js';

/** What an app adds to the topology it declares: see MessagingModule.forRoot. */
export interface MessagingOptions {
  /** Delay steps the task types' retry policies need, beside the ladder of RETRY_DELAYS_SECONDS. */
  retryDelayStepsSeconds?: readonly number[];
}

export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');

/**
 * The process's one connection to RabbitMQ. amqp-connection-manager reconnects by itself and
 * re-runs every channel's setup (consumers, return listeners) after a reconnect. After each
 * connect the topology is declared once, and every channel's setup waits for it.
 *
 * RABBITMQ_URL may list the nodes of a cluster: the manager tries them in turn, starting with the
 * first, and after losing a connection goes on with the next one, so a node that stops (or
 * never answers) costs a reconnect, not an outage. Logs and `/ready` name a node by
 * `host:port/vhost` only (`host:port` for the default vhost), never with its credentials.
 */
/** How long a connect may stay silent (TCP connect or AMQP handshake) before the next node is tried. */
const CONNECT_TIMEOUT_MS = 5_000;

/** Injection token: the queue groups of the app's task types, whose queues the topology declares. */
export const QUEUE_GROUPS = Symbol('QUEUE_GROUPS');

@Injectable()
export class AmqpConnectionService implements OnApplicationShutdown {
  private readonly logger = new Logger('Amqp');
  readonly topology: Topology;
  private manager?: AmqpConnectionManager;
  private lastError?: string;
  /** The node of the current connection, as {@link brokerAddress} names it. */
  private address?: string;
  /** Each node's last failure since the last connect: a failure is logged once per node, not on every retry. */
  private readonly failures = new Map<string, string>();
  private declared: Promise<void> = new Promise(() => undefined);
  private readonly connectListeners: (() => void)[] = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() @Inject(MESSAGING_OPTIONS) options?: MessagingOptions,
    @Optional() @Inject(QUEUE_GROUPS) queueGroups: readonly string[] = [],
  ) {
    // The ladder's steps and the types' own: one delay queue per distinct value (buildTopology drops repeats).
    const retryDelaysSeconds = [...config.retry.delaysSeconds, ...(options?.retryDelayStepsSeconds ?? [])];
    this.topology = buildTopology({ queueType: config.rabbitmq.queueType, retryDelaysSeconds, queueGroups });
  }

  private connection(): AmqpConnectionManager {
    if (!this.manager) {
      const manager = amqp.connect(this.config.rabbitmq.urls, {
        heartbeatIntervalInSeconds: 5,
        reconnectTimeInSeconds: 1,
        connectionOptions: {
          // Shown by `rabbitmqctl list_connections client_properties` and the management UI, so an
          // operator (or a test) can tell which process a connection belongs to.
          clientProperties: { connection_name: `${hostname()}:${process.pid}` },
          // A host that does not answer, or a node that goes silent during the handshake, for
          // this long (amqplib's socket idle timeout, off once the connection is open) is given
          // up and the next node is tried, instead of waiting minutes for the operating system's
          // own timeout.
          timeout: CONNECT_TIMEOUT_MS,
          // No Nagle on the socket. Without it a small frame (a publish, an ack) written while an
          // earlier one is still unacknowledged waits for the peer's delayed ACK, up to 40 ms on
          // Linux: a tail on a task's way from the relay to a worker.
          noDelay: true,
        },
      });
      this.manager = manager;
      // Registered before any channel exists, so it runs before their setups on every connect.
      manager.on('connect', ({ connection, url }) => {
        this.lastError = undefined;
        this.failures.clear();
        this.address = typeof url === 'string' ? brokerAddress(url) : undefined;
        this.logger.log(`connected to RabbitMQ at ${this.address ?? 'the broker'}`);
        // amqp-connection-manager connects with amqplib's promise API: this is a ChannelModel.
        const model = connection as unknown as ChannelModel;
        // The frames of one pass of amqplib's multiplexer go out in one system call.
        if (!coalesceWrites((model as unknown as { connection: MuxedConnection }).connection)) {
          this.logger.warn("amqplib's connection is not of the shape this build knows: its frames are written one system call each");
        }
        this.declared = declareTopology(() => model.createChannel(), this.topology).then(
          (mismatches) => {
            for (const m of mismatches) {
              this.logger.warn(`${m.kind} ${m.name} exists with other arguments; using it as it is (${m.reason})`);
            }
            for (const listener of this.connectListeners) listener();
          },
          (error: Error) => {
            // Closing while declaring is not a failure worth reporting.
            if (this.manager === manager) this.logger.error(`declaring the topology failed: ${error.message}`, error);
            throw error;
          },
        );
        this.declared.catch(() => undefined);
      });
      manager.on('disconnect', ({ err }) => {
        const lost = this.address ?? 'the broker';
        this.address = undefined;
        this.lastError = `lost the connection to ${lost}: ${err?.message ?? 'disconnected'}`;
        this.logger.warn(`RabbitMQ connection to ${lost} lost: ${err?.message ?? 'disconnected'}; reconnecting${this.nodes()}`, err);
      });
      manager.on('connectFailed', ({ err, url }) => {
        const address = typeof url === 'string' ? brokerAddress(url) : 'the broker';
        const message = err?.message ?? 'failed';
        if (this.failures.get(address) !== message) this.logger.warn(`cannot reach RabbitMQ at ${address}: ${message}; retrying${this.nodes()}`, err);
        this.failures.set(address, message);
        this.lastError = `cannot reach ${address}: ${message}`;
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
      this.logger.warn(`channel ${info?.name ?? options.name ?? ''} failed: ${error.message}`, error);
    });
    return channel;
  }

  /** ` (N nodes in RABBITMQ_URL)` when it lists more than one, so a log line says there are others to try. */
  private nodes(): string {
    const count = this.config.rabbitmq.urls.length;
    return count > 1 ? ` (${count} nodes in RABBITMQ_URL, trying each in turn)` : '';
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

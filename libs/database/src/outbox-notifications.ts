import { Logger } from '@nestjs/common';
import pg from 'pg';
import { type AppConfig, postgresConnectionOptions } from '#config';

export const OUTBOX_CHANNEL = 'outbox_pending';

/**
 * A dedicated connection that LISTENs for `outbox_pending`, sent by the outbox trigger when
 * rows are committed. It reconnects by itself; while it is down the relay's poll still runs.
 */
export class OutboxNotifications {
  private readonly logger = new Logger('OutboxNotifications');
  private client?: pg.Client;
  private closed = false;
  private retryTimer?: NodeJS.Timeout;

  constructor(
    private readonly config: AppConfig,
    private readonly onNotify: () => void,
  ) {}

  async start(): Promise<void> {
    this.closed = false;
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client(postgresConnectionOptions(this.config.postgres));
    client.on('notification', () => this.onNotify());
    client.on('error', (error) => this.reconnectSoon(client, error));
    client.on('end', () => this.reconnectSoon(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      this.client = client;
      // Rows may have been committed while we were not listening.
      this.onNotify();
    } catch (error) {
      this.reconnectSoon(client, error as Error);
    }
  }

  private reconnectSoon(client: pg.Client, error?: Error): void {
    if (this.closed || (this.client && this.client !== client)) return;
    this.client = undefined;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    if (this.retryTimer) return;
    if (error) this.logger.warn(`LISTEN connection lost: ${error.message}; reconnecting`);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, 1000);
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    }
  }
}

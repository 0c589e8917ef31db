import { Logger } from '@nestjs/common';
import pg from 'pg';
import { type AppConfig, type PostgresConnectionOptions, postgresConnectionOptions } from '#config';

export const OUTBOX_CHANNEL = 'outbox_pending';

/**
 * Where the relay LISTENs, or why it does not. A LISTEN needs a session of its own: through a
 * transaction-mode pooler the server connection goes back to the pool after each statement, so
 * the notifications reach whichever client holds it next, or nobody. PgBouncer accepts the
 * LISTEN all the same, so the failure cannot be detected: POSTGRES_POOLER says it.
 * - OUTBOX_LISTEN_DATABASE_URL set: LISTEN there (a direct connection past the pooler);
 * - else POSTGRES_POOLER=transaction: no LISTEN, the relay wakes on its poll alone;
 * - else: LISTEN on the main connection's settings.
 */
export type OutboxListenPlan =
  { listen: true; options: PostgresConnectionOptions; via: 'OUTBOX_LISTEN_DATABASE_URL' | 'the main connection' } | { listen: false; reason: string };

export function outboxListenPlan(config: AppConfig): OutboxListenPlan {
  if (config.outbox.listenUrl) return { listen: true, options: { connectionString: config.outbox.listenUrl }, via: 'OUTBOX_LISTEN_DATABASE_URL' };
  if (config.postgres.pooler === 'transaction') {
    return {
      listen: false,
      reason:
        'POSTGRES_POOLER=transaction and OUTBOX_LISTEN_DATABASE_URL is empty: no LISTEN through a transaction pooler, ' +
        `the relay polls the outbox every ${config.outbox.pollIntervalMs} ms (OUTBOX_POLL_INTERVAL); ` +
        'set OUTBOX_LISTEN_DATABASE_URL to a direct connection to PostgreSQL to be woken at once',
    };
  }
  return { listen: true, options: postgresConnectionOptions(config.postgres), via: 'the main connection' };
}

/**
 * A dedicated connection that LISTENs for `outbox_pending`, sent by the outbox trigger when
 * rows are committed (see {@link outboxListenPlan} for where). It reconnects by itself; while it
 * is down, or when there is no LISTEN at all, the relay's poll still runs.
 */
export class OutboxNotifications {
  private readonly logger = new Logger('OutboxNotifications');
  private client?: pg.Client;
  private closed = false;
  private retryTimer?: NodeJS.Timeout;
  private readonly plan: OutboxListenPlan;

  constructor(
    config: AppConfig,
    private readonly onNotify: () => void,
  ) {
    this.plan = outboxListenPlan(config);
  }

  async start(): Promise<void> {
    this.closed = false;
    if (!this.plan.listen) {
      this.logger.warn(this.plan.reason);
      return;
    }
    if (this.plan.via === 'OUTBOX_LISTEN_DATABASE_URL') this.logger.log('LISTEN outbox_pending on OUTBOX_LISTEN_DATABASE_URL');
    await this.connect(this.plan.options);
  }

  private async connect(options: PostgresConnectionOptions): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client(options);
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
    if (error) this.logger.warn(`LISTEN connection lost: ${error.message}; reconnecting`, error);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.plan.listen) void this.connect(this.plan.options);
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

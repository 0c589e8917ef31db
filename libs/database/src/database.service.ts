import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit, Optional } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import type pg from 'pg';
import { PG_POOL } from './pool.js';
import { ClientExecutor, type SqlExecutor, type SqlResult } from './sql-executor.js';

/**
 * The one door to PostgreSQL for services: single statements on the pool, or a transaction
 * on one connection. Nothing outside libs/database touches the pool.
 */
@Injectable()
export class DatabaseService implements SqlExecutor, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Database');
  /**
   * Whether {@link queryPrepared} names its statements: not through a transaction-mode pooler
   * (POSTGRES_POOLER=transaction), where a named statement prepared on one server connection is
   * unknown on the next (PgBouncer before 1.21). Without the app's configuration (a test that
   * builds the service on its own pool) nothing is named.
   */
  private readonly named: boolean;

  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Optional() @Inject(APP_CONFIG) config?: AppConfig,
  ) {
    this.named = config !== undefined && config.postgres.pooler !== 'transaction';
  }

  /** The app starts once Postgres answers: until then it keeps trying, once a second, rather than dying. */
  async onModuleInit(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.pool.query('SELECT 1');
        return;
      } catch (error) {
        this.logger.warn(`cannot reach PostgreSQL (attempt ${attempt}): ${(error as Error).message}; retrying in 1 s`, error);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  /** Closes the pool; an app closed twice closes it once. */
  async onApplicationShutdown(): Promise<void> {
    if (!this.pool.ended && !this.pool.ending) await this.pool.end();
  }

  /** One statement on a pooled connection: its own implicit transaction, one round trip. */
  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<SqlResult<T>> {
    const result = await this.pool.query(sql, params);
    return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
  }

  /**
   * One statement on a pooled connection, as the named prepared statement `name`: each
   * connection parses and plans it once (a statement the worker sends thousands of times a
   * second costs Postgres a fraction of a millisecond less each time). Unnamed through a
   * transaction-mode pooler.
   */
  async queryPrepared<T = Record<string, unknown>>(name: string, sql: string, params: unknown[]): Promise<SqlResult<T>> {
    if (!this.named) return this.query<T>(sql, params);
    const result = await this.pool.query({ name, text: sql, values: params });
    return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
  }

  /**
   * Runs `work` in one transaction; commits when it resolves, rolls back when it throws. BEGIN is
   * not waited for: the first statement of `work` goes out right behind it on the pipelining
   * connection (see createPool), one round trip less per transaction, and answers only once
   * BEGIN has (see ClientExecutor).
   */
  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // A connection that breaks while no statement runs on it (Postgres restarted while the relay
    // waits for its confirms, say) says so with an 'error' event, which would end the process
    // without a listener: the pool listens only while the connection is idle. The next statement
    // then fails, the transaction with it, and the pool drops the connection.
    let broken: Error | undefined;
    const onError = (error: Error) => (broken = error);
    client.on('error', onError);
    const begun = client.query('BEGIN');
    // Awaited by every statement of `work` and before COMMIT; this only keeps a failure from
    // counting as unhandled while nothing awaits it yet.
    begun.catch(() => undefined);
    // A connection whose ROLLBACK failed is unusable too: the pool drops it instead of reusing it.
    try {
      const result = await work(new ClientExecutor(client, begun, this.named));
      await begun;
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  /** True when a trivial query answers within `timeoutMs`. */
  async ping(timeoutMs = 2000): Promise<boolean> {
    try {
      await withTimeout(this.query('SELECT 1'), timeoutMs);
      return true;
    } catch {
      return false;
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

import { Logger } from '@nestjs/common';
import pg from 'pg';
import { type AppConfig, postgresConnectionOptions } from '#config';

const logger = new Logger('Database');

/** The apps' connection pool (`PG_POOL`), made by {@link createPool}. */
export const PG_POOL = Symbol('PG_POOL');

/** The apps' pool size unless a caller asks for another. */
export const DEFAULT_POOL_SIZE = 10;

/**
 * Connections a pool keeps open while idle (node-postgres closes the others after 10 s). A
 * task created after a quiet spell would otherwise find the relay and the worker without a
 * connection, and wait for two new ones (a backend started and authenticated for each) on
 * its way to starting.
 */
const KEPT_WHILE_IDLE = 2;

/**
 * The node-postgres pool the apps run their statements on. The apps use TypeORM only for the
 * migrations (the migrate app); at run time they need nothing but a pool, and node-postgres
 * alone is a much smaller module graph than TypeORM with its drivers for every database.
 */
export function createPool(config: AppConfig, options: { database?: string; size?: number } = {}): pg.Pool {
  const pool = new pg.Pool({
    ...postgresConnectionOptions(config.postgres, options.database),
    max: options.size ?? DEFAULT_POOL_SIZE,
    min: Math.min(KEPT_WHILE_IDLE, options.size ?? DEFAULT_POOL_SIZE),
    connectionTimeoutMillis: 5000,
    application_name: 'task-service',
    // Statements written one after another without waiting go out together (node-postgres
    // pipeline mode): a transaction's BEGIN and its first statement share one round trip (see
    // DatabaseService.transaction). A statement awaited before the next is sent as before.
    pipeline: true,
  });
  // An idle connection that breaks (Postgres restarted, a proxy cut it) is an 'error' event on
  // the pool, which would end the process without a listener. The pool has already dropped it;
  // the next query opens another, and one that fails then answers its caller.
  pool.on('error', (error) => logger.warn(`idle PostgreSQL connection lost: ${error.message}`, error));
  return pool;
}

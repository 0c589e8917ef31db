import type { PostgresConfig } from './config.types.js';

/**
 * Where and as whom to connect to PostgreSQL, in node-postgres' terms (`pg.ClientConfig` and
 * `pg.PoolConfig` accept it as it is): either `connectionString` (from DATABASE_URL) or the
 * POSTGRES_* parts, never both, because pg lets the string's parts win over the others.
 */
export interface PostgresConnectionOptions {
  connectionString?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
}

/**
 * The one place where POSTGRES_* and DATABASE_URL become connection options: the apps' pool,
 * the relay's LISTEN connection, the migrate app and the test harness all connect with these.
 * `database` connects to another database on the same server (e.g. `postgres`, to create or
 * drop one); with DATABASE_URL it replaces the URL's path, so it is never ignored.
 */
export function postgresConnectionOptions(postgres: PostgresConfig, database?: string): PostgresConnectionOptions {
  if (postgres.url) return { connectionString: database === undefined ? postgres.url : withDatabase(postgres.url, database) };
  return { host: postgres.host, port: postgres.port, user: postgres.user, password: postgres.password, database: database ?? postgres.database };
}

/** The database the configuration points at: DATABASE_URL's path when set (`postgres` when it has none), else POSTGRES_DB. */
export function postgresDatabaseName(postgres: PostgresConfig): string {
  if (postgres.url) return decodeURIComponent(new URL(postgres.url).pathname.replace(/^\//, '')) || 'postgres';
  return postgres.database;
}

/** The host and port the configuration points at, for a reachability check or a message (5432 when DATABASE_URL names none). */
export function postgresAddress(postgres: PostgresConfig): { host: string; port: number } {
  if (!postgres.url) return { host: postgres.host, port: postgres.port };
  const url = new URL(postgres.url);
  return { host: url.hostname, port: Number(url.port || 5432) };
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

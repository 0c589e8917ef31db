import type { AppConfig } from '#config';
import { DataSource, type DataSourceOptions } from 'typeorm';

/** What a caller may change: another database (the maintenance one), a smaller pool, the migrations to run. */
export interface DataSourceOverrides {
  database?: string;
  poolSize?: number;
  /**
   * The migration classes, oldest first: `MIGRATIONS` of `migrations/index.ts`, passed by the
   * migrate app and the test harness. The apps leave it out: they never migrate.
   */
  migrations?: NonNullable<DataSourceOptions['migrations']>;
}

/**
 * TypeORM options for the apps and the migrate app. The schema changes only by migration:
 * `synchronize` and `migrationsRun` are off (STYLE.md rule 5).
 */
export function dataSourceOptions(config: AppConfig, overrides: DataSourceOverrides = {}): DataSourceOptions {
  const { postgres } = config;
  const connection = postgres.url
    ? { url: overrides.database ? withDatabase(postgres.url, overrides.database) : postgres.url }
    : {
        host: postgres.host,
        port: postgres.port,
        username: postgres.user,
        password: postgres.password,
        database: overrides.database ?? postgres.database,
      };
  return {
    type: 'postgres',
    ...connection,
    synchronize: false,
    migrationsRun: false,
    migrations: overrides.migrations ?? [],
    migrationsTableName: 'migrations',
    entities: [],
    // TypeORM would print failing SQL with its parameters (task payloads); our code logs the error.
    logging: false,
    poolSize: overrides.poolSize ?? 10,
    extra: { connectionTimeoutMillis: 5000, application_name: 'task-service' },
  };
}

export function createDataSource(config: AppConfig, overrides: DataSourceOverrides = {}): DataSource {
  return new DataSource(dataSourceOptions(config, overrides));
}

/** The database a config points at, from `DATABASE_URL` when set. */
export function databaseName(config: AppConfig): string {
  if (config.postgres.url) return decodeURIComponent(new URL(config.postgres.url).pathname.replace(/^\//, '')) || 'postgres';
  return config.postgres.database;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

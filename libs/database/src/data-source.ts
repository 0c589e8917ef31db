import { type AppConfig, postgresConnectionOptions } from '#config';
import type { DataSource, DataSourceOptions } from 'typeorm';
import { DEFAULT_POOL_SIZE } from './pool.js';

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
 * TypeORM options for the migrate app. The schema changes only by migration:
 * `synchronize` and `migrationsRun` are off, so no app ever alters a table at start; every change
 * is a reviewed, reversible file in `migrations/`, applied by `npm run migration:run`.
 */
export function dataSourceOptions(config: AppConfig, overrides: DataSourceOverrides = {}): DataSourceOptions {
  // TypeORM names pg's `connectionString` `url` and pg's `user` `username`; the rest is pg's.
  const { connectionString, user, ...parts } = postgresConnectionOptions(config.postgres, overrides.database);
  const connection = connectionString === undefined ? { ...parts, username: user } : { url: connectionString };
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
    poolSize: overrides.poolSize ?? DEFAULT_POOL_SIZE,
    extra: { connectionTimeoutMillis: 5000, application_name: 'task-service' },
  };
}

/**
 * A TypeORM data source (not yet initialised), for the migrate app and a caller's own TypeORM
 * transactions. TypeORM is loaded here, on first use: the apps never load it.
 */
export async function createDataSource(config: AppConfig, overrides: DataSourceOverrides = {}): Promise<DataSource> {
  const { DataSource } = await import('typeorm');
  return new DataSource(dataSourceOptions(config, overrides));
}

import { type AppConfig, postgresDatabaseName } from '#config';
import type { MigrationInterface } from 'typeorm';
import { createDataSource, type DataSourceOverrides } from './data-source.js';
import { APPLIED_MIGRATIONS, MIGRATIONS_TABLE_EXISTS } from './sql/migrations.sql.js';

/**
 * Creates the configured database when it does not exist, connecting to the `postgres`
 * maintenance database to do so. Safe to run from several processes at once. A database that
 * answers is left alone without touching `postgres`, which a pooler such as PgBouncer, or a
 * managed service, may not expose.
 */
export async function ensureDatabase(config: AppConfig): Promise<boolean> {
  const name = postgresDatabaseName(config.postgres);
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) throw new Error(`Database name '${name}' must be letters, digits and underscores`);
  if (await answers(config)) return false;
  const admin = await createDataSource(config, { database: 'postgres', poolSize: 1 });
  await admin.initialize();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.length > 0) return false;
    try {
      // The name was checked against the identifier pattern above; CREATE DATABASE takes no parameters.
      await admin.query(`CREATE DATABASE "${name}"`);
    } catch (error) {
      // 42P04: another process created it between our check and our CREATE.
      if ((error as { code?: string }).code !== '42P04') throw error;
      return false;
    }
    return true;
  } finally {
    await admin.destroy();
  }
}

/** True when the configured database accepts a connection. */
async function answers(config: AppConfig): Promise<boolean> {
  const dataSource = await createDataSource(config, { poolSize: 1 });
  try {
    await dataSource.initialize();
    return true;
  } catch {
    return false;
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}

/**
 * The names of `migrations` not yet applied to the configured database, oldest first; throws
 * when the database cannot be reached or does not exist. Reads only: the `migrations` table is
 * not created here (TypeORM's own check would create it).
 */
export async function pendingMigrations(config: AppConfig, migrations: readonly (new () => MigrationInterface)[]): Promise<string[]> {
  const dataSource = await createDataSource(config, { poolSize: 1 });
  await dataSource.initialize();
  try {
    const [{ present }] = await dataSource.query<{ present: boolean }[]>(MIGRATIONS_TABLE_EXISTS);
    const applied = new Set(present ? (await dataSource.query<{ name: string }[]>(APPLIED_MIGRATIONS)).map((row) => row.name) : []);
    return migrations.map((migration) => new migration().name ?? migration.name).filter((name) => !applied.has(name));
  } finally {
    await dataSource.destroy();
  }
}

/**
 * Creates the database if needed, then applies every pending one of `migrations` (oldest first,
 * the caller's `MIGRATIONS`: this lib does not reach up into `migrations/`). Returns their names.
 */
export async function migrate(config: AppConfig, migrations: NonNullable<DataSourceOverrides['migrations']>): Promise<{ created: boolean; applied: string[] }> {
  const created = await ensureDatabase(config);
  const dataSource = await createDataSource(config, { poolSize: 1, migrations });
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return { created, applied: applied.map((m) => m.name) };
  } finally {
    await dataSource.destroy();
  }
}

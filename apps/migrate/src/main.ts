import { postgresDatabaseName } from '#config';
import { migrate, pendingMigrations } from '#database';
import { appLogger, loadConfigOrExit } from '#runtime';
import { MIGRATIONS } from '../../../migrations/index.js';

/**
 * `npm run migration:run` (and the compose `migrate` job): creates the database named by
 * POSTGRES_DB (or DATABASE_URL) when it does not exist, then applies every pending migration.
 * An app of its own, so the database lib needs neither the runtime lib nor `migrations/`.
 *
 * With `--wait` it changes nothing: it waits until the database exists and every migration of
 * this build is applied, then exits 0 (a Kubernetes initContainer runs it so that an app never
 * starts on an older schema than its code expects).
 */
const config = loadConfigOrExit();
const logger = appLogger(config, 'migrate');
const name = postgresDatabaseName(config.postgres);
const CONTEXT = 'Migrate';
const WAIT_POLL_MS = 2000;

if (process.argv.includes('--wait')) void waitUntilMigrated();
else runMigrations();

function runMigrations(): void {
  migrate(config, MIGRATIONS).then(
    ({ created, applied }) => {
      if (created) logger.log(`created database ${name}`, { database: name }, CONTEXT);
      if (applied.length > 0) logger.log(`applied ${applied.length} migration(s) to ${name}`, { database: name, applied }, CONTEXT);
      else logger.log(`database ${name} is up to date`, { database: name }, CONTEXT);
      process.exit(0);
    },
    (error: Error & { code?: string }) => {
      const where = config.postgres.url ? 'DATABASE_URL' : `${config.postgres.host}:${config.postgres.port}`;
      if (['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(error.code ?? '')) {
        logger.error(
          `PostgreSQL is not reachable at ${where} (${error.code}). ` +
            `Start it, e.g. 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start', or set POSTGRES_HOST/POSTGRES_PORT.`,
          CONTEXT,
        );
      } else {
        logger.error(`migration failed on database ${name}: ${error.message}`, error, CONTEXT);
      }
      process.exit(1);
    },
  );
}

/** Polls every 2 s; prints a line whenever what it waits for changes. SIGTERM ends it. */
async function waitUntilMigrated(): Promise<void> {
  process.once('SIGTERM', () => process.exit(143));
  let said = '';
  for (;;) {
    let waitingFor: string;
    try {
      const pending = await pendingMigrations(config, MIGRATIONS);
      if (pending.length === 0) {
        logger.log(`database ${name} has every migration of this build`, { database: name }, CONTEXT);
        process.exit(0);
      }
      waitingFor = `${pending.length} pending migration(s) on ${name}: ${pending.join(', ')}`;
    } catch (error) {
      waitingFor = `database ${name}: ${(error as Error).message}`;
    }
    if (waitingFor !== said) logger.log(`waiting for ${waitingFor}`, CONTEXT);
    said = waitingFor;
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
  }
}

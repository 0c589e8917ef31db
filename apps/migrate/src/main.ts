import { postgresDatabaseName } from '#config';
import { migrate, pendingMigrations } from '#database';
import { loadConfigOrExit } from '#runtime';
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
const name = postgresDatabaseName(config.postgres);
const WAIT_POLL_MS = 2000;

if (process.argv.includes('--wait')) void waitUntilMigrated();
else runMigrations();

function runMigrations(): void {
  migrate(config, MIGRATIONS).then(
    ({ created, applied }) => {
      if (created) console.log(`created database ${name}`);
      console.log(applied.length ? `applied ${applied.length} migration(s) to ${name}: ${applied.join(', ')}` : `database ${name} is up to date`);
      process.exit(0);
    },
    (error: Error & { code?: string }) => {
      const where = config.postgres.url ? 'DATABASE_URL' : `${config.postgres.host}:${config.postgres.port}`;
      if (['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(error.code ?? '')) {
        console.error(
          `PostgreSQL is not reachable at ${where} (${error.code}). ` +
            `Start it, e.g. 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start', or set POSTGRES_HOST/POSTGRES_PORT.`,
        );
      } else {
        console.error(`migration failed on database ${name}: ${error.message}`);
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
        console.log(`database ${name} has every migration of this build`);
        process.exit(0);
      }
      waitingFor = `${pending.length} pending migration(s) on ${name}: ${pending.join(', ')}`;
    } catch (error) {
      waitingFor = `database ${name}: ${(error as Error).message}`;
    }
    if (waitingFor !== said) console.log(`waiting for ${waitingFor}`);
    said = waitingFor;
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
  }
}

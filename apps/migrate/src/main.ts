import { postgresDatabaseName } from '#config';
import { migrate } from '#database';
import { loadConfigOrExit } from '#runtime';
import { MIGRATIONS } from '../../../migrations/index.js';

/**
 * `npm run migration:run` (and the compose `migrate` job): creates the database named by
 * POSTGRES_DB (or DATABASE_URL) when it does not exist, then applies every pending migration.
 * An app of its own, so the database lib needs neither the runtime lib nor `migrations/`.
 */
const config = loadConfigOrExit();
const name = postgresDatabaseName(config.postgres);
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

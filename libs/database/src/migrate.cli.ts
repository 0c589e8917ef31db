import { loadConfigOrExit } from '#runtime';
import { databaseName } from './data-source.js';
import { migrate } from './ensure-database.js';

/**
 * `npm run migration:run`: creates the database named by POSTGRES_DB (or DATABASE_URL) when it
 * does not exist, then applies every pending migration.
 */
const config = loadConfigOrExit();
const name = databaseName(config);
migrate(config).then(
  ({ created, applied }) => {
    if (created) console.log(`created database ${name}`);
    console.log(applied.length ? `applied ${applied.length} migration(s) to ${name}: ${applied.join(', ')}` : `database ${name} is up to date`);
    process.exit(0);
  },
  (error: Error & { code?: string }) => {
    const where = config.postgres.url ? 'DATABASE_URL' : `${config.postgres.host}:${config.postgres.port}`;
    if (['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(error.code ?? '')) {
      console.error(`PostgreSQL is not reachable at ${where} (${error.code}). Start it, e.g. 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start', or set POSTGRES_HOST/POSTGRES_PORT.`);
    } else {
      console.error(`migration failed on database ${name}: ${error.message}`);
    }
    process.exit(1);
  },
);

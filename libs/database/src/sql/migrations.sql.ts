/** Whether TypeORM's `migrations` table exists yet (it does once the first migration ran). */
export const MIGRATIONS_TABLE_EXISTS = /* sql */ `
SELECT to_regclass('migrations') IS NOT NULL AS present`;

/** The names of the migrations applied so far. */
export const APPLIED_MIGRATIONS = /* sql */ `
SELECT name FROM migrations`;

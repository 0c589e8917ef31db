import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Suite } from './support/suite.js';

/**
 * Every exported statement of libs/database/src/sql, PREPAREd against the migrated schema: a
 * typo, a stale column, a wrong cast or a function the migrations no longer define fails here,
 * whether or not another test happens to run the statement. PREPARE parses, analyses and plans
 * the statement without running it, so nothing is written.
 */
const SQL_DIR = join(process.cwd(), 'libs/database/src/sql');
const files = readdirSync(SQL_DIR).filter((name) => name.endsWith('.sql.ts'));

const statements: { name: string; file: string; sql: string }[] = [];
for (const file of files) {
  const exported = (await import(join(SQL_DIR, file))) as Record<string, unknown>;
  for (const [name, value] of Object.entries(exported)) {
    if (typeof value === 'string') statements.push({ name, file, sql: value });
  }
}

describe('the SQL statements of libs/database/src/sql', () => {
  let suite: Suite;

  beforeAll(async () => {
    suite = await Suite.create('sql_statements');
  });
  afterAll(async () => {
    await suite?.teardown();
  });

  const prepare = async (sql: string): Promise<void> => {
    const client = await suite.sql.connect();
    try {
      await client.query(`PREPARE statement_under_test AS ${sql}`);
      await client.query('DEALLOCATE statement_under_test');
    } finally {
      client.release();
    }
  };

  it('finds every exported constant of every file', () => {
    const declared = files.flatMap((file) => [...readFileSync(join(SQL_DIR, file), 'utf8').matchAll(/^export const (\w+)/gm)].map((m) => m[1]));
    expect(statements.map((s) => s.name).sort()).toEqual(declared.sort());
    expect(statements.length).toBeGreaterThan(0);
  });

  it('marks every statement with a /* sql */ comment, which editors use to highlight the string as SQL', () => {
    const untagged = files.flatMap((file) =>
      [...readFileSync(join(SQL_DIR, file), 'utf8').matchAll(/^export const (\w+) = (?!\/\* sql \*\/ `)/gm)].map((m) => `${file}: ${m[1]}`),
    );
    expect(untagged).toEqual([]);
  });

  it('refuses a statement with an unknown column, so a stale statement cannot pass', async () => {
    await expect(prepare('SELECT no_such_column FROM tasks WHERE id = $1')).rejects.toMatchObject({ code: '42703' });
  });

  it.each(statements.map((s) => [s.name, s.file, s.sql] as const))('prepares %s (%s)', async (_name, _file, sql) => {
    await prepare(sql);
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Whoever decides what a message says builds it (the API's services, the worker's executor, the
 * relay's sweeper and reconciler); a repository only writes the message it is given. So
 * libs/database may name the message types of #messaging, but imports none of its values
 * (the builders `dispatchMessage`, `retryMessage`, ...).
 */
const root = process.cwd();

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** The imports from '#messaging' in `source` that bring in a value: not `import type`, and not every name marked `type`. */
function valueImportsOfMessaging(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/\b(import|export)\s+(type\s+)?([^;'"]*?)\s*from\s*['"]#messaging['"]/g)) {
    const [statement, , wholeIsType, clause] = match;
    if (wholeIsType) continue;
    const names =
      /\{([^}]*)\}/
        .exec(clause)?.[1]
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean) ?? [];
    const onlyTypes = names.length > 0 && names.every((name) => name.startsWith('type ')) && !clause.replace(/\{[^}]*\}/, '').trim();
    if (!onlyTypes) found.push(statement.replace(/\s+/g, ' '));
  }
  return found;
}

describe(valueImportsOfMessaging.name, () => {
  it('finds an import of a message builder', () => {
    expect(valueImportsOfMessaging("import { dispatchMessage, queueOfPriority } from '#messaging';")).toHaveLength(1);
  });

  it('finds a value imported beside a type', () => {
    expect(valueImportsOfMessaging("import { type OutgoingMessage, retryMessage } from '#messaging';")).toHaveLength(1);
  });

  it('finds a namespace import and a re-export', () => {
    expect(valueImportsOfMessaging("import * as messaging from '#messaging';\nexport { dispatchMessage } from '#messaging';")).toHaveLength(2);
  });

  it('lets types through, imported either way', () => {
    const source = "import type { OutgoingMessage } from '#messaging';\nimport { type TaskMessage, type ControlMessage } from '#messaging';";

    expect(valueImportsOfMessaging(source)).toEqual([]);
  });
});

describe('libs/database', () => {
  it('imports only types from #messaging: the messages it writes are built by its callers', () => {
    const sut = sourceFiles(join(root, 'libs/database/src')).flatMap((file) =>
      valueImportsOfMessaging(readFileSync(file, 'utf8')).map((statement) => `${relative(root, file)}: ${statement}`),
    );

    expect(sut).toEqual([]);
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * The layers point one way. Apps import libs; a lib imports only libs below it, by alias
 * (`#config`, `#database`, ...), never an app, never a file outside its own folder by a relative
 * path. From the bottom: config, then tasks (its built-in handlers read the configuration), then messaging, then database, then observability,
 * then runtime (it bootstraps the apps with observability's logger).
 */
const LAYERS: Record<string, number> = { config: 0, tasks: 1, messaging: 2, database: 3, observability: 4, runtime: 5 };

/** A module of the import graph: a lib, an app, `migrations/`, or anything else of the repository. */
type Unit = `lib:${string}` | `app:${string}` | 'migrations' | 'other';

interface Edge {
  from: Unit;
  to: Unit;
  file: string;
  specifier: string;
  relative: boolean;
}

const root = process.cwd();

/** The module specifiers of every import, export-from and dynamic import of a source file. */
function importSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  for (const pattern of [/\b(?:import|export)\s[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g]) {
    for (const match of code.matchAll(pattern)) found.push(match[1]);
  }
  return found;
}

function unitOfPath(path: string): Unit {
  const parts = relative(root, path).split(sep);
  if (parts[0] === 'libs' && parts[1]) return `lib:${parts[1]}`;
  if (parts[0] === 'apps' && parts[1]) return `app:${parts[1]}`;
  if (parts[0] === 'migrations') return 'migrations';
  return 'other';
}

function unitOfSpecifier(file: string, specifier: string): Unit | null {
  const alias = /^#([a-z-]+)(?:\/[a-z-]+)?$/.exec(specifier);
  if (alias) return `lib:${alias[1]}`;
  if (specifier.startsWith('.')) return unitOfPath(resolve(dirname(file), specifier));
  return null; // a package
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every import of `libs/<name>/src` and `apps/<name>/src` that points at another unit. */
function repositoryEdges(): Edge[] {
  const files = ['libs', 'apps'].flatMap((top) => readdirSync(join(root, top)).flatMap((name) => sourceFiles(join(root, top, name, 'src'))));
  return files.flatMap((file) =>
    importSpecifiers(readFileSync(file, 'utf8')).flatMap((specifier) => {
      const from = unitOfPath(file);
      const to = unitOfSpecifier(file, specifier);
      return to && to !== from ? [{ from, to, file: relative(root, file), specifier, relative: specifier.startsWith('.') }] : [];
    }),
  );
}

/** What breaks the layering, one line each. */
function violations(edges: Edge[]): string[] {
  const found = new Set<string>();
  for (const edge of edges) {
    const where = `${edge.file} imports '${edge.specifier}'`;
    const fromLib = edge.from.startsWith('lib:') ? edge.from.slice(4) : null;
    const toLib = edge.to.startsWith('lib:') ? edge.to.slice(4) : null;
    if (edge.relative && toLib) found.add(`${where}: a relative import into lib ${toLib}; import it by its alias #${toLib}`);
    if (fromLib === null) {
      if (edge.from.startsWith('app:') && edge.to.startsWith('app:')) found.add(`${where}: an app imports another app`);
      continue;
    }
    if (edge.to.startsWith('app:')) found.add(`${where}: a lib imports an app`);
    else if (edge.to === 'migrations' || edge.to === 'other') found.add(`${where}: a lib reaches outside libs/ (let the caller pass what it needs)`);
    else if (toLib && !(toLib in LAYERS)) found.add(`${where}: lib ${toLib} has no layer; add it to LAYERS`);
    else if (toLib && !(fromLib in LAYERS)) found.add(`${where}: lib ${fromLib} has no layer; add it to LAYERS`);
    else if (toLib && LAYERS[toLib] >= LAYERS[fromLib])
      found.add(`${where}: an upward import (${fromLib} is layer ${LAYERS[fromLib]}, ${toLib} is layer ${LAYERS[toLib]})`);
  }
  for (const cycle of cycles(edges)) found.add(`a cycle: ${cycle.join(' → ')}`);
  return [...found];
}

/** The cycles of the unit graph, each as its units with the first repeated at the end. */
function cycles(edges: Edge[]): Unit[][] {
  const next = new Map<Unit, Set<Unit>>();
  for (const { from, to } of edges) next.set(from, (next.get(from) ?? new Set()).add(to));
  const found: Unit[][] = [];
  const done = new Set<Unit>();
  const visit = (unit: Unit, path: Unit[]): void => {
    const at = path.indexOf(unit);
    if (at >= 0) {
      found.push([...path.slice(at), unit]);
      return;
    }
    if (done.has(unit)) return;
    for (const to of next.get(unit) ?? []) visit(to, [...path, unit]);
    done.add(unit);
  };
  for (const unit of [...next.keys()].sort()) visit(unit, []);
  return found;
}

/** The graph as text, one unit a line: `lib:database → lib:config, lib:messaging`. */
function drawGraph(edges: Edge[]): string {
  const next = new Map<Unit, Set<Unit>>();
  for (const { from, to } of edges) next.set(from, (next.get(from) ?? new Set()).add(to));
  return [...next.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([from, to]) => `${from} → ${[...to].sort().join(', ')}`)
    .join('\n');
}

const edge = (from: Unit, to: Unit, specifier = `#${to.slice(4)}`): Edge => ({
  from,
  to,
  file: `${from.replace(':', 's/')}/src/x.ts`,
  specifier,
  relative: specifier.startsWith('.'),
});

describe('the import graph', () => {
  it('finds the specifiers of imports, re-exports, side-effect and dynamic imports, not of comments', () => {
    const source = [
      "import 'reflect-metadata';",
      "import { a,\n  b } from '#config';",
      "import type { C } from './c.js';",
      "export * from './d.js';",
      "// import { e } from '#messaging';",
      "/** see import { f } from '#runtime' */",
      "const g = await import('#database');",
    ].join('\n');
    expect(importSpecifiers(source).sort()).toEqual(['#config', '#database', './c.js', './d.js', 'reflect-metadata']);
  });

  it('accepts downward imports and apps importing libs', () => {
    expect(
      violations([
        edge('lib:database', 'lib:config'),
        edge('lib:observability', 'lib:config'),
        edge('app:api', 'lib:runtime'),
        edge('app:migrate', 'migrations', '../../../migrations/index.js'),
      ]),
    ).toEqual([]);
  });

  it('refuses an upward import, a lib importing an app, a relative import across libs and a lib reaching outside libs/', () => {
    expect(violations([edge('lib:observability', 'lib:database'), edge('lib:database', 'lib:observability')])).toEqual(
      expect.arrayContaining([
        expect.stringContaining('an upward import (database is layer 3, observability is layer 4)'),
        expect.stringMatching(/^a cycle: /),
      ]),
    );
    expect(violations([edge('lib:tasks', 'app:worker', '../../../apps/worker/src/worker.service.js')])).toEqual([
      expect.stringContaining('a lib imports an app'),
    ]);
    expect(violations([edge('lib:database', 'lib:config', '../../config/src/index.js')])).toEqual([
      expect.stringContaining('a relative import into lib config'),
    ]);
    expect(violations([edge('lib:database', 'migrations', '../../../migrations/index.js')])).toEqual([expect.stringContaining('reaches outside libs/')]);
    expect(violations([edge('lib:config', 'lib:tasks')])).toEqual([expect.stringContaining('an upward import (config is layer 0, tasks is layer 1)')]);
  });

  it('finds a cycle and names its units', () => {
    expect(cycles([edge('lib:database', 'lib:runtime'), edge('lib:runtime', 'lib:observability'), edge('lib:observability', 'lib:database')])).toEqual([
      ['lib:database', 'lib:runtime', 'lib:observability', 'lib:database'],
    ]);
  });

  it('holds for libs/*/src and apps/*/src', () => {
    const edges = repositoryEdges();
    const found = violations(edges);
    if (found.length > 0) throw new Error(`the layers do not point one way:\n  ${found.join('\n  ')}\n\nthe graph:\n${drawGraph(edges)}`);
    expect(edges.some((e) => e.from === 'app:api' && e.to === 'lib:database')).toBe(true);
  });
});

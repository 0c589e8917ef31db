// Builds dist/ when it is missing or older than a source file, so every npm script runs
// from a build that matches the sources. Used by `npm start` and the start:* scripts.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const stamp = join(root, 'dist', '.build-stamp');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * `quiet`: say nothing on stdout (the build's messages go to stderr), for a command whose stdout
 * a script reads (`task-service … --json`).
 */
export function ensureBuild({ quiet = false } = {}) {
  const sources = Math.max(...['apps', 'libs', 'migrations'].map((d) => newestSource(join(root, d))), statSync(join(root, 'tsconfig.json')).mtimeMs);
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= sources) return;
  (quiet ? console.error : console.log)('building (npm run build)...');
  const result = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], {
    stdio: quiet ? ['ignore', process.stderr, process.stderr] : 'inherit',
  });
  if (result.status !== 0) {
    console.error('the build failed; see the errors above');
    process.exit(1);
  }
  writeFileSync(stamp, '');
}

if (import.meta.url === `file://${process.argv[1]}`) ensureBuild();

// Builds dist/ when it is missing or older than a source file, so every npm script runs
// from a build that matches the sources. Used by `npm start` and the start:* scripts.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from './build.mjs';

const root = new URL('..', import.meta.url).pathname;
const stamp = join(root, 'dist', '.build-stamp');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (/\.(ts|html|css)$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
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
  if (!build({ stdio: quiet ? ['ignore', process.stderr, process.stderr] : 'inherit' })) {
    console.error('the build failed; see the errors above');
    process.exit(1);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) ensureBuild();

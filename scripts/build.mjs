// `npm run build`: the apps and libs (tsconfig.build.json) and the web dashboard (its TypeScript
// for the browser, apps/dashboard/tsconfig.build.json, and its static files) into dist/, then the
// stamp scripts/ensure-build.mjs compares with the sources.
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const tsc = join(root, 'node_modules/typescript/bin/tsc');
const dashboardOut = join(root, 'dist/apps/dashboard/public');

/**
 * Builds everything; returns false (after tsc printed why) when a compilation fails. `stdio`:
 * where tsc writes (a command whose stdout a script reads sends it to stderr).
 */
export function build({ stdio = 'inherit' } = {}) {
  for (const project of ['tsconfig.build.json', 'apps/dashboard/tsconfig.build.json']) {
    if (project.startsWith('apps/dashboard')) rmSync(dashboardOut, { recursive: true, force: true });
    const result = spawnSync(process.execPath, [tsc, '-p', join(root, project)], { stdio });
    if (result.status !== 0) return false;
  }
  cpSync(join(root, 'apps/dashboard/public'), dashboardOut, { recursive: true });
  writeFileSync(join(root, 'dist', '.build-stamp'), '');
  return true;
}

if (import.meta.url === `file://${process.argv[1]}` && !build()) {
  console.error('the build failed; see the errors above');
  process.exit(1);
}

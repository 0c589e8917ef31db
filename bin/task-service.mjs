#!/usr/bin/env node
// `npx task-service …` and `npm run cli -- …`: the command line (apps/cli), from the build.
// The build is made first when it is missing or older than the sources, with its messages on
// stderr, so `--json` output on stdout stays clean for scripts.
import { ensureBuild } from '../scripts/ensure-build.mjs';

ensureBuild({ quiet: true });
await import('../dist/apps/cli/src/main.js');

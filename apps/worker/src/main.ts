import { setFlagsFromString } from 'node:v8';
import { runApp } from '#runtime';
import { WorkerModule } from './worker.module.js';

// The old generation grows by half of what survived its last major GC, not V8's default of up to
// four times that. What a draining worker keeps is small (about 25 MB of live heap in a snapshot,
// mostly the code and module graph), but each delivery's objects live for its claim, its handler
// and its outcome write, long enough to be promoted, and with the default growth that promoted
// garbage took the old generation to ~75 MB between major GCs: the resident size under a drain
// rose from ~100 to 150-170 MB with nothing leaking. With 50 % a major GC comes about every
// second under load (a few ms each) and the heap stays under ~45 MB (documents/architecture.md,
// "Memory"). V8 reads this flag at every GC, so setting it here, before the app starts, holds. A
// `--heap-growing-percent` on the command line wins.
if (!process.execArgv.some((arg) => arg.startsWith('--heap-growing-percent'))) {
  setFlagsFromString('--heap-growing-percent=50');
}

runApp({
  name: 'worker',
  module: (config) => WorkerModule.forRoot(config),
  port: (config) => config.health.port,
});

import { setFlagsFromString } from 'node:v8';
import { runApp } from '#runtime';
import { RelayModule } from './relay.module.js';

// The old generation grows by half of what survived its last major GC, not V8's default of up to
// four times that, as in the api and the worker: a draining relay keeps little, but each batch's
// rows, messages and confirms live across the broker's confirm, long enough to be promoted, and
// that promoted garbage is what took its resident size past 150 MB under load (documents/
// architecture.md, "Memory"). A `--heap-growing-percent` on the command line wins.
if (!process.execArgv.some((arg) => arg.startsWith('--heap-growing-percent'))) {
  setFlagsFromString('--heap-growing-percent=50');
}

runApp({
  name: 'relay',
  module: (config) => RelayModule.forRoot(config),
  port: (config) => config.health.port,
});

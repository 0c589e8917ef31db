import { setFlagsFromString } from 'node:v8';
import { runApp } from '#runtime';
import { ApiModule } from './api.module.js';
import { apiFastifyOptions, configureHttp } from './http/configure-http.js';

/**
 * V8 lets the old generation grow to up to 4 times what survived the last full collection
 * before it collects again; under creates at full speed the API's live heap stays near 40 MiB
 * and the rest of the old generation is garbage, promoted from requests that were in flight
 * when the young generation was collected. 1.5 times keeps that garbage smaller at a few
 * percent of CPU (see documents/architecture.md, "Memory"). Set here rather than on every
 * command line that starts the API; `node --heap-growing-percent=N` given there wins.
 */
export const API_HEAP_GROWING_PERCENT = 50;
if (!process.execArgv.some((arg) => arg.startsWith('--heap-growing-percent'))) {
  setFlagsFromString(`--heap-growing-percent=${API_HEAP_GROWING_PERCENT}`);
}

runApp({
  name: 'api',
  servesApi: true,
  module: (config) => ApiModule.forRoot(config),
  port: (config) => config.api.port,
  fastify: apiFastifyOptions,
  configure: async (app, config) => {
    await configureHttp(app, config);
  },
});

import { runApp } from '#runtime';
import { WorkerModule } from './worker.module.js';

runApp({
  name: 'worker',
  module: (config) => WorkerModule.forRoot(config),
  port: (config) => config.health.port,
});

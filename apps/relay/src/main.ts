import { runApp } from '#runtime';
import { RelayModule } from './relay.module.js';

runApp({
  name: 'relay',
  module: (config) => RelayModule.forRoot(config),
  port: (config) => config.health.port,
});

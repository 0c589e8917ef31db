import { runApp } from '#runtime';
import { ApiModule } from './api.module.js';
import { apiFastifyOptions, configureHttp } from './http/configure-http.js';

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

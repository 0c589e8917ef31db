export * from './config.types.js';
export * from './config.error.js';
export * from './load-config.js';
export * from './config.module.js';
export * from './allowed-hosts.js';
export * from './insecure-defaults.js';
export * from './postgres-connection.js';
export * from './rabbitmq-urls.js';

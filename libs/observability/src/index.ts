export * from './logging/correlation.js';
export * from './logging/app-logger.js';
export * from './logging/redaction.js';
export * from './metrics/metrics.service.js';
export * from './metrics/queue-metrics.js';
export * from './health/health-indicator.js';
export * from './health/health.controller.js';
export * from './observability.module.js';

export * from './http/public-route.js';
export * from './metrics/backlog-metrics.js';
export * from './health/readiness-probe.js';

import { type DynamicModule, Global, Module } from '@nestjs/common';
import { HEALTH_INDICATORS, type HealthIndicator, type HealthIndicatorClass } from './health/health-indicator.js';
import { HealthController } from './health/health.controller.js';
import { ReadinessProbe } from './health/readiness-probe.js';
import { BacklogMetrics } from './metrics/backlog-metrics.js';
import { METRICS_APP, type MetricsApp, MetricsService } from './metrics/metrics.service.js';
import { QueueMetrics } from './metrics/queue-metrics.js';

/** Metrics and the health endpoints, the same in every app. */
@Global()
@Module({})
export class ObservabilityModule {
  /**
   * `app`: whose metric families `/metrics` serves (besides Node's process metrics).
   * `healthIndicators`: what `/ready` checks, in order, e.g. `[PostgresHealthIndicator,
   * RabbitMqHealthIndicator]`. Each class is a provider of the lib that owns the dependency.
   * `backlogGauges`: also serve, read at scrape time, the depth and consumers of each task queue
   * (from the broker) and the outbox backlog and oldest message per queue (from Postgres): the
   * relay does; needs the messaging module's QueueInspector and the database module.
   */
  static forRoot(options: { app: MetricsApp; healthIndicators: HealthIndicatorClass[]; backlogGauges?: boolean }): DynamicModule {
    return {
      module: ObservabilityModule,
      controllers: [HealthController],
      providers: [
        { provide: METRICS_APP, useValue: options.app },
        MetricsService,
        ReadinessProbe,
        ...(options.backlogGauges ? [QueueMetrics, BacklogMetrics] : []),
        { provide: HEALTH_INDICATORS, inject: options.healthIndicators, useFactory: (...indicators: HealthIndicator[]) => indicators },
      ],
      exports: [MetricsService],
    };
  }
}

import { type DynamicModule, Global, Module } from '@nestjs/common';
import { HEALTH_INDICATORS, type HealthIndicator, type HealthIndicatorClass } from './health/health-indicator.js';
import { HealthController } from './health/health.controller.js';
import { MetricsService } from './metrics/metrics.service.js';
import { QueueMetrics } from './metrics/queue-metrics.js';

/** Metrics and the health endpoints, the same in every app. */
@Global()
@Module({})
export class ObservabilityModule {
  /**
   * `healthIndicators`: what `/ready` checks, in order, e.g. `[PostgresHealthIndicator,
   * RabbitMqHealthIndicator]`. Each class is a provider of the lib that owns the dependency.
   * `queueMetrics`: also serve the depth and consumers of each task queue on `/metrics`, read
   * from the broker at scrape time (the relay does; needs the messaging module's QueueInspector).
   */
  static forRoot(options: { healthIndicators: HealthIndicatorClass[]; queueMetrics?: boolean }): DynamicModule {
    return {
      module: ObservabilityModule,
      controllers: [HealthController],
      providers: [
        MetricsService,
        ...(options.queueMetrics ? [QueueMetrics] : []),
        { provide: HEALTH_INDICATORS, inject: options.healthIndicators, useFactory: (...indicators: HealthIndicator[]) => indicators },
      ],
      exports: [MetricsService],
    };
  }
}

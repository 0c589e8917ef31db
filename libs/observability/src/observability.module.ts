import { type DynamicModule, Global, Module } from '@nestjs/common';
import { HEALTH_INDICATORS, type HealthIndicator, type HealthIndicatorClass } from './health/health-indicator.js';
import { HealthController } from './health/health.controller.js';
import { MetricsService } from './metrics/metrics.service.js';

/** Metrics and the health endpoints, the same in every app. */
@Global()
@Module({})
export class ObservabilityModule {
  /**
   * `healthIndicators`: what `/ready` checks, in order, e.g. `[PostgresHealthIndicator,
   * RabbitMqHealthIndicator]`. Each class is a provider of the lib that owns the dependency.
   */
  static forRoot(options: { healthIndicators: HealthIndicatorClass[] }): DynamicModule {
    return {
      module: ObservabilityModule,
      controllers: [HealthController],
      providers: [
        MetricsService,
        { provide: HEALTH_INDICATORS, inject: options.healthIndicators, useFactory: (...indicators: HealthIndicator[]) => indicators },
      ],
      exports: [MetricsService],
    };
  }
}

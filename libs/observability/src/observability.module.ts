import { Global, Module } from '@nestjs/common';
import { HealthController } from './health/health.controller.js';
import { MetricsService } from './metrics/metrics.service.js';

/** Metrics and the health endpoints, the same in every app. */
@Global()
@Module({
  controllers: [HealthController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class ObservabilityModule {}

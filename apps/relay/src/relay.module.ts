import { type DynamicModule, Module } from '@nestjs/common';
import { type AppConfig, ConfigModule } from '#config';
import { DatabaseModule, PostgresHealthIndicator } from '#database';
import { MessagingModule, RabbitMqHealthIndicator } from '#messaging';
import { ObservabilityModule } from '#observability';
import { TASK_HANDLERS, type TaskHandlerClass, TaskRegistry } from '#tasks';
import { MaintenanceService } from './maintenance.service.js';
import { OutboxRelayService } from './outbox-relay.service.js';
import { ReconcilerService } from './reconciler.service.js';

/**
 * The outbox relay, with `/health`, `/ready` and `/metrics` on HEALTH_CHECK_PORT; its `/metrics`
 * also carries the depth and consumers of each task queue (the HPA component scales the workers on them).
 */
@Module({})
export class RelayModule {
  static forRoot(config: AppConfig, handlers: readonly TaskHandlerClass[] = TASK_HANDLERS): DynamicModule {
    // The relay runs no handler, but declares the same delay queues as the worker and the api:
    // those of the types' retry policies, read from the handlers' metadata.
    const registry = new TaskRegistry(handlers);
    return {
      module: RelayModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        MessagingModule.forRoot({ retryDelayStepsSeconds: registry.retryDelaySteps() }),
        ObservabilityModule.forRoot({ healthIndicators: [PostgresHealthIndicator, RabbitMqHealthIndicator], queueMetrics: true }),
      ],
      providers: [OutboxRelayService, MaintenanceService, ReconcilerService],
    };
  }
}

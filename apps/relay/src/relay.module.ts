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
 * also carries, read at scrape time, the depth, consumers and oldest message age of each task queue (the HPA
 * component scales the workers on them) and the outbox backlog.
 */
@Module({})
export class RelayModule {
  /**
   * `handlers`: the deployment's task handlers. The relay runs none; it reads their metadata for
   * the delay queues of the types' retry policies and for the queue groups, whose queues it
   * declares, watches and reconciles like `tasks.*`, as the worker and the api do.
   */
  static forRoot(config: AppConfig, handlers: readonly TaskHandlerClass[] = TASK_HANDLERS): DynamicModule {
    const registry = new TaskRegistry(handlers);
    return {
      module: RelayModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        MessagingModule.forRoot({ retryDelayStepsSeconds: registry.retryDelaySteps(), queueGroups: registry.queueGroups() }),
        ObservabilityModule.forRoot({ app: 'relay', healthIndicators: [PostgresHealthIndicator, RabbitMqHealthIndicator], backlogGauges: true }),
      ],
      providers: [OutboxRelayService, MaintenanceService, ReconcilerService],
    };
  }
}

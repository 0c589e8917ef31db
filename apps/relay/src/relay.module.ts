import { type DynamicModule, Module } from '@nestjs/common';
import { type AppConfig, ConfigModule } from '#config';
import { DatabaseModule, PostgresHealthIndicator } from '#database';
import { MessagingModule, RabbitMqHealthIndicator } from '#messaging';
import { ObservabilityModule } from '#observability';
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
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: RelayModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        MessagingModule,
        ObservabilityModule.forRoot({ app: 'relay', healthIndicators: [PostgresHealthIndicator, RabbitMqHealthIndicator], backlogGauges: true }),
      ],
      providers: [OutboxRelayService, MaintenanceService, ReconcilerService],
    };
  }
}

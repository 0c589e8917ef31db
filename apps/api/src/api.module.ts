import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { type AppConfig, ConfigModule } from '#config';
import { DatabaseModule, PostgresHealthIndicator } from '#database';
import { MessagingModule, RabbitMqHealthIndicator } from '#messaging';
import { ObservabilityModule } from '#observability';
import { DeadLettersModule } from './dlq/dead-letters.module.js';
import { ApiKeyGuard } from './security/api-key.guard.js';
import { rateLimit } from './security/rate-limit.js';
import { TasksModule } from './tasks/tasks.module.js';

/** The REST API: tasks over HTTP, writing to Postgres; RabbitMQ for queue depths and `/ready`. */
@Module({})
export class ApiModule {
  static async forRoot(config: AppConfig): Promise<DynamicModule> {
    const limit = await rateLimit(config);
    return {
      module: ApiModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        MessagingModule,
        ObservabilityModule.forRoot({ healthIndicators: [PostgresHealthIndicator, RabbitMqHealthIndicator] }),
        TasksModule,
        DeadLettersModule,
        ...limit.imports,
      ],
      // Guards run in this order: the rate limit first, so guessing keys is throttled too.
      providers: [...limit.providers, { provide: APP_GUARD, useClass: ApiKeyGuard }],
    };
  }
}

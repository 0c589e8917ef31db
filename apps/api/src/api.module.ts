import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { type AppConfig, ConfigModule } from '#config';
import { DatabaseModule, PostgresHealthIndicator } from '#database';
import { MessagingModule, RabbitMqHealthIndicator } from '#messaging';
import { ObservabilityModule } from '#observability';
import { TASK_HANDLERS, type TaskHandlerClass, TaskRegistry } from '#tasks';
import { ApiKeyGuard } from './security/api-key.guard.js';
import { rateLimit } from './security/rate-limit.js';
import { TasksModule } from './tasks/tasks.module.js';

/** The REST API: tasks over HTTP, writing to Postgres; RabbitMQ for queue depths and `/ready`. */
@Module({})
export class ApiModule {
  /** `handlers`: the deployment's task handlers (their metadata only); tests may pass their own. */
  static async forRoot(config: AppConfig, handlers: readonly TaskHandlerClass[] = TASK_HANDLERS): Promise<DynamicModule> {
    const limit = await rateLimit(config);
    return {
      module: ApiModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        MessagingModule.forRoot({ queueGroups: new TaskRegistry(handlers).queueGroups() }),
        ObservabilityModule.forRoot({ healthIndicators: [PostgresHealthIndicator, RabbitMqHealthIndicator] }),
        TasksModule.forRoot(handlers),
        ...limit.imports,
      ],
      // Guards run in this order: the rate limit first, so guessing keys is throttled too.
      providers: [...limit.providers, { provide: APP_GUARD, useClass: ApiKeyGuard }],
    };
  }
}

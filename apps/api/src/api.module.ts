import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { type AppConfig, ConfigModule } from '#config';
import { DatabaseModule, PostgresHealthIndicator } from '#database';
import { MessagingModule, RabbitMqHealthIndicator } from '#messaging';
import { ObservabilityModule } from '#observability';
import { TASK_HANDLERS, type TaskHandlerClass, TaskRegistry } from '#tasks';
import { DeadLettersModule } from './dlq/dead-letters.module.js';
import { ApiKeyGuard } from './security/api-key.guard.js';
import { rateLimit } from './security/rate-limit.js';
import { TasksModule } from './tasks/tasks.module.js';

/**
 * The REST API: tasks over HTTP, writing to Postgres; RabbitMQ for queue depths and `/ready`.
 * `handlers` is the deployment's list (tests may pass their own): the API reads their metadata
 * (payload classes, policies) and never constructs one.
 */
@Module({})
export class ApiModule {
  static async forRoot(config: AppConfig, handlers: readonly TaskHandlerClass[] = TASK_HANDLERS): Promise<DynamicModule> {
    const limit = await rateLimit(config);
    const registry = new TaskRegistry(handlers);
    return {
      module: ApiModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        MessagingModule.forRoot({ retryDelayStepsSeconds: registry.retryDelaySteps(), queueGroups: registry.queueGroups() }),
        ObservabilityModule.forRoot({ app: 'api', healthIndicators: [PostgresHealthIndicator, RabbitMqHealthIndicator] }),
        TasksModule.forRoot(registry),
        DeadLettersModule.forRoot(registry),
        ...limit.imports,
      ],
      // Guards run in this order: the rate limit first, so guessing keys is throttled too.
      providers: [...limit.providers, { provide: APP_GUARD, useClass: ApiKeyGuard }],
    };
  }
}

import { type DynamicModule, Module } from '@nestjs/common';
import { type AppConfig, ConfigModule } from '#config';
import { DatabaseModule, PostgresHealthIndicator } from '#database';
import { MessagingModule, RabbitMqHealthIndicator } from '#messaging';
import { ObservabilityModule } from '#observability';
import { TASK_HANDLERS, type TaskHandlerClass, TaskRegistry } from '#tasks';
import { TaskExecutor } from './execution/task-executor.service.js';
import { WorkerService } from './worker.service.js';

/**
 * The worker: every registered handler as a provider (so handlers may inject what they need),
 * the registry checked at boot (a duplicate type or an undecorated handler stops the process),
 * the executor and the consumers. `handlers` is the deployment's list; tests may pass their own.
 */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, handlers: readonly TaskHandlerClass[] = TASK_HANDLERS): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        MessagingModule,
        ObservabilityModule.forRoot({ app: 'worker', healthIndicators: [PostgresHealthIndicator, RabbitMqHealthIndicator] }),
      ],
      providers: [...handlers, { provide: TaskRegistry, useFactory: () => new TaskRegistry(handlers) }, TaskExecutor, WorkerService],
    };
  }
}

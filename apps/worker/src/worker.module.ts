import { type DynamicModule, Module } from '@nestjs/common';
import { type AppConfig, ConfigModule } from '#config';
import { DatabaseModule, PostgresHealthIndicator } from '#database';
import { MessagingModule, RabbitMqHealthIndicator } from '#messaging';
import { ObservabilityModule } from '#observability';
import { TASK_HANDLERS, TaskRegistry } from '#tasks';
import { TaskExecutor } from './execution/task-executor.service.js';
import { WorkerService } from './worker.service.js';

/**
 * The worker: every registered handler as a provider (so handlers may inject what they need),
 * the registry checked at boot (a duplicate type or an undecorated handler stops the process),
 * the executor and the consumers.
 */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        MessagingModule,
        ObservabilityModule.forRoot({ healthIndicators: [PostgresHealthIndicator, RabbitMqHealthIndicator] }),
      ],
      providers: [...TASK_HANDLERS, { provide: TaskRegistry, useFactory: () => new TaskRegistry(TASK_HANDLERS) }, TaskExecutor, WorkerService],
    };
  }
}

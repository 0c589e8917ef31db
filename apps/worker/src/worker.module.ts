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
 * the registry checked at boot (a duplicate type, an undecorated handler or a bad policy stops the
 * process), the executor and the consumers. `handlers` is the deployment's list; tests may pass
 * their own. The topology gets a delay queue for every step the types' retry policies need.
 */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, handlers: readonly TaskHandlerClass[] = TASK_HANDLERS): DynamicModule {
    const registry = new TaskRegistry(handlers);
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        MessagingModule.forRoot({ retryDelayStepsSeconds: registry.retryDelaySteps() }),
        ObservabilityModule.forRoot({ healthIndicators: [PostgresHealthIndicator, RabbitMqHealthIndicator] }),
      ],
      providers: [...handlers, { provide: TaskRegistry, useValue: registry }, TaskExecutor, WorkerService],
    };
  }
}

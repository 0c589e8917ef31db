import { type DynamicModule, Module } from '@nestjs/common';
import { type AppConfig, ConfigModule } from '#config';
import { DatabaseModule, PostgresHealthIndicator } from '#database';
import { MessagingModule, RabbitMqHealthIndicator } from '#messaging';
import { ObservabilityModule } from '#observability';
import { TASK_HANDLERS, type TaskHandlerClass, TaskRegistry } from '#tasks';
import { TaskExecutor } from './execution/task-executor.service.js';
import { WorkerService } from './worker.service.js';
import { checkBatchSizes, selectWorkerTaskTypes } from './worker-task-types.js';

/**
 * The worker: every registered handler as a provider (so handlers may inject what they need),
 * the registry checked at boot (a duplicate type, an undecorated handler or a bad policy stops the
 * process), the executor and the consumers. `handlers` is the deployment's list; tests may pass
 * their own.
 *
 * WORKER_TASK_TYPES narrows the handlers this worker registers (and constructs); the topology
 * (queue groups, and a delay queue for every step the types' retry policies need) still comes
 * from every handler's metadata, so every app declares the same queues. A worker whose
 * WORKER_QUEUES can carry a type it leaves out refuses to start (selectWorkerTaskTypes), and so
 * does one whose WORKER_PREFETCH is below a batch type's batch.size (checkBatchSizes).
 */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, handlers: readonly TaskHandlerClass[] = TASK_HANDLERS): DynamicModule {
    const registry = new TaskRegistry(handlers);
    const selected = new Set(selectWorkerTaskTypes(registry.list(), config.worker.queues, config.worker.taskTypes));
    const entries = registry.list().filter((entry) => selected.has(entry.type));
    checkBatchSizes(entries, config.worker.prefetch);
    const run = entries.map((entry) => entry.handler);
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        MessagingModule.forRoot({ retryDelayStepsSeconds: registry.retryDelaySteps(), queueGroups: registry.queueGroups() }),
        ObservabilityModule.forRoot({ app: 'worker', healthIndicators: [PostgresHealthIndicator, RabbitMqHealthIndicator] }),
      ],
      providers: [...run, { provide: TaskRegistry, useValue: new TaskRegistry(run) }, TaskExecutor, WorkerService],
    };
  }
}

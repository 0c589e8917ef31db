import { type DynamicModule, Module } from '@nestjs/common';
import { TASK_HANDLERS, type TaskHandlerClass, TaskRegistry } from '#tasks';
import { TaskTypesController } from './task-types.controller.js';
import { TasksController } from './tasks.controller.js';
import { TaskCreateBatcher } from './task-create-batcher.js';
import { TasksService } from './tasks.service.js';
import { TaskInputValidator } from './validation/task-input.validator.js';

@Module({})
export class TasksModule {
  /** `handlers`: the deployment's list; tests may pass their own. */
  static forRoot(handlers: readonly TaskHandlerClass[] = TASK_HANDLERS): DynamicModule {
    return {
      module: TasksModule,
      controllers: [TasksController, TaskTypesController],
      providers: [
        TasksService,
        TaskCreateBatcher,
        TaskInputValidator,
        // Reads the handlers' metadata only; the API never constructs a handler.
        { provide: TaskRegistry, useFactory: () => new TaskRegistry(handlers) },
      ],
    };
  }
}

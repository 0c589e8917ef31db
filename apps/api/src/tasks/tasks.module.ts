import { Module } from '@nestjs/common';
import { TASK_HANDLERS, TaskRegistry } from '#tasks';
import { TaskTypesController } from './task-types.controller.js';
import { TasksController } from './tasks.controller.js';
import { TaskCreateBatcher } from './task-create-batcher.js';
import { TasksService } from './tasks.service.js';
import { TaskInputValidator } from './validation/task-input.validator.js';

@Module({
  controllers: [TasksController, TaskTypesController],
  providers: [
    TasksService,
    TaskCreateBatcher,
    TaskInputValidator,
    // Reads the handlers' metadata only; the API never constructs a handler.
    { provide: TaskRegistry, useFactory: () => new TaskRegistry(TASK_HANDLERS) },
  ],
})
export class TasksModule {}

import { type DynamicModule, Module } from '@nestjs/common';
import { TaskRegistry } from '#tasks';
import { TaskTypesController } from './task-types.controller.js';
import { TasksController } from './tasks.controller.js';
import { TaskCreateBatcher } from './task-create-batcher.js';
import { TasksService } from './tasks.service.js';
import { TaskInputValidator } from './validation/task-input.validator.js';

@Module({})
export class TasksModule {
  /** `registry` reads the handlers' metadata only; the API never constructs a handler. */
  static forRoot(registry: TaskRegistry): DynamicModule {
    return {
      module: TasksModule,
      controllers: [TasksController, TaskTypesController],
      providers: [TasksService, TaskCreateBatcher, TaskInputValidator, { provide: TaskRegistry, useValue: registry }],
    };
  }
}

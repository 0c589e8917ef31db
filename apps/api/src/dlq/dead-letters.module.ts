import { type DynamicModule, Module } from '@nestjs/common';
import { TaskRegistry } from '#tasks';
import { DeadLettersController } from './dead-letters.controller.js';
import { DeadLettersService } from './dead-letters.service.js';

/** `/api/v1/dlq`: what failed for good, its replay and the purge of its copies. */
@Module({})
export class DeadLettersModule {
  /** `registry`: a replay routes each task by its type (queue group, event routing key), as a retry does. */
  static forRoot(registry: TaskRegistry): DynamicModule {
    return {
      module: DeadLettersModule,
      controllers: [DeadLettersController],
      providers: [DeadLettersService, { provide: TaskRegistry, useValue: registry }],
    };
  }
}

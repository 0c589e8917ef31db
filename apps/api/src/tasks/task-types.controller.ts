import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '#config';
import { policyDefaults, TaskRegistry } from '#tasks';
import { ApiProblems } from '../problems/api-problems.decorator.js';
import { TaskTypeListView } from './dto/task.view.js';
import { presentTaskTypes } from './task.presenter.js';

@ApiTags('task types')
@ApiBearerAuth()
@Controller('task-types')
export class TaskTypesController {
  private readonly view: TaskTypeListView;

  constructor(registry: TaskRegistry, @Inject(APP_CONFIG) config: AppConfig) {
    // The registry and the configuration are fixed at boot: build the answer once.
    this.view = presentTaskTypes(registry.list(), policyDefaults(config));
  }

  @Get()
  @ApiOperation({
    summary: 'Every registered task type with the JSON Schema of its payload and its effective policy',
    description:
      "Policy: the type's own maxAttempts, retry backoff, timeoutSeconds and concurrency from its @TaskHandler, " +
      'each falling back to MAX_RETRIES, RETRY_DELAYS_SECONDS and TASK_TIMEOUT_SECONDS of this API process.',
  })
  @ApiOkResponse({ type: TaskTypeListView })
  @ApiProblems(401, 429)
  list(): TaskTypeListView {
    return this.view;
  }
}

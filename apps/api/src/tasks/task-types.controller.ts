import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { TaskRegistry } from '#tasks';
import { ApiProblems } from '../problems/api-problems.decorator.js';
import { TaskTypeListView } from './dto/task.view.js';
import { presentTaskTypes } from './task.presenter.js';

@ApiTags('task types')
@ApiBearerAuth()
@Controller('task-types')
export class TaskTypesController {
  private readonly view: TaskTypeListView;

  constructor(registry: TaskRegistry) {
    // The registry is fixed at boot: build the answer once.
    this.view = presentTaskTypes(registry.list());
  }

  @Get()
  @ApiOperation({ summary: 'Every registered task type with the JSON Schema of its payload' })
  @ApiOkResponse({ type: TaskTypeListView })
  @ApiProblems(401, 429)
  list(): TaskTypeListView {
    return this.view;
  }
}

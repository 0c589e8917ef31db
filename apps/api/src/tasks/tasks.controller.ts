import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { TaskListQuery } from '#database';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { API_PREFIX } from '../http/api-prefix.js';
import { ApiError } from '../problems/api-error.js';
import { ApiProblems } from '../problems/api-problems.decorator.js';
import { apiKeyDigestOf } from '../security/api-key.guard.js';
import { CreateTaskBatchDto } from './dto/create-task-batch.dto.js';
import { CreateTaskDto } from './dto/create-task.dto.js';
import { ListTasksQuery } from './dto/list-tasks.query.js';
import { ListTasksQueryPipe } from './list-tasks-query.pipe.js';
import { StatsView, TaskBatchView, TaskEventListView, TaskPageView, TaskStatusView, TaskView } from './dto/task.view.js';
import { presentEvents, presentPage, presentStats, presentStatus, presentTask } from './task.presenter.js';
import { type IdempotencyRequest, TasksService } from './tasks.service.js';
import { TaskIdPipe } from './uuid.pipe.js';
import { CreateTaskBatchBodyPipe, CreateTaskBodyPipe } from './validation/task-input.pipes.js';

// Interfaces, not classes: the global ValidationPipe skips them, and the pipes above check the
// shape and the payloads together (see TaskInputValidator).
interface CreateTaskBody extends CreateTaskDto {}
interface CreateTaskBatchBody extends CreateTaskBatchDto {}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

const idempotencyHeader = ApiHeader({
  name: 'Idempotency-Key',
  required: false,
  description:
    'Up to 255 printable characters. ' +
    'The same key with the same body within 24 h returns the original (200, Idempotent-Replayed: true); with another body, 409. ' +
    'Scoped per API key: the same Idempotency-Key sent with another API key is another key.',
});
const requestIdHeader = ApiHeader({ name: 'X-Request-ID', required: false, description: 'Echoed back; becomes the correlationId of created tasks.' });

@ApiTags('tasks')
@ApiBearerAuth()
@Controller('tasks')
export class TasksController {
  constructor(private readonly tasks: TasksService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a task', description: 'Writes the task and its outbox row in one transaction; the relay dispatches it.' })
  @idempotencyHeader
  @requestIdHeader
  @ApiCreatedResponse({ type: TaskView, description: 'Created; Location names the task.' })
  @ApiOkResponse({ type: TaskView, description: 'Idempotent replay: the task first created with this key and body.' })
  @ApiProblems(400, 401, 403, 409, 413, 415, 429, 503)
  @ApiBody({ type: CreateTaskDto })
  async create(
    @Body(CreateTaskBodyPipe) body: CreateTaskBody,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TaskView> {
    const idempotency = idempotencyOf('tasks', idempotencyKey, request);
    const { tasks, replayed } = await this.tasks.createOne(body, String(request.id), idempotency);
    const task = tasks[0];
    if (!task) throw ApiError.conflict('IDEMPOTENCY_KEY_REUSED', 'The task created with this Idempotency-Key no longer exists');
    reply.header('location', `/${API_PREFIX}/tasks/${task.id}`);
    if (replayed) reply.status(200).header('idempotent-replayed', 'true');
    return presentTask(task);
  }

  @Post('batch')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Create 1–1,000 tasks in one transaction',
    description: 'All or nothing: a 400 names the index and field of every bad item, and nothing is written.',
  })
  @ApiBody({ type: CreateTaskBatchDto })
  @idempotencyHeader
  @requestIdHeader
  @ApiCreatedResponse({ type: TaskBatchView })
  @ApiOkResponse({ type: TaskBatchView, description: 'Idempotent replay.' })
  @ApiProblems(400, 401, 403, 409, 413, 415, 429, 503)
  async createBatch(
    @Body(CreateTaskBatchBodyPipe) body: CreateTaskBatchBody,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TaskBatchView> {
    const idempotency = idempotencyOf('tasks.batch', idempotencyKey, request);
    const { tasks, replayed } = await this.tasks.create(body.tasks, String(request.id), idempotency);
    if (replayed) reply.status(200).header('idempotent-replayed', 'true');
    return { tasks: tasks.map(presentTask) };
  }

  @Get()
  @ApiOperation({ summary: 'List tasks, newest first', description: 'Filters take one value or a comma list. Keyset pagination: pass nextCursor as cursor.' })
  @ApiOkResponse({ type: TaskPageView })
  @ApiQuery({ type: ListTasksQuery })
  @ApiProblems(400, 401, 429, 503)
  async list(@Query(ListTasksQueryPipe) query: TaskListQuery): Promise<TaskPageView> {
    return presentPage(await this.tasks.list(query));
  }

  @Get('stats')
  @ApiOperation({ summary: 'Counts by status and priority, outbox backlog, queue depths' })
  @ApiOkResponse({ type: StatsView })
  @ApiProblems(401, 429, 503)
  async stats(): Promise<StatsView> {
    const { stats, depths } = await this.tasks.stats();
    return presentStats(stats, depths);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a task' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: TaskView })
  @ApiProblems(400, 401, 404, 429, 503)
  async get(@Param('id', TaskIdPipe) id: string): Promise<TaskView> {
    return presentTask(await this.tasks.get(id));
  }

  @Get(':id/status')
  @ApiOperation({ summary: "A task's status, progress and attempts" })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: TaskStatusView })
  @ApiProblems(400, 401, 404, 429, 503)
  async status(@Param('id', TaskIdPipe) id: string): Promise<TaskStatusView> {
    return presentStatus(await this.tasks.get(id));
  }

  @Get(':id/events')
  @ApiOperation({ summary: "A task's timeline", description: 'Every status change with its time, attempt, worker, error and where the task was.' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: TaskEventListView })
  @ApiProblems(400, 401, 404, 429, 503)
  async events(@Param('id', TaskIdPipe) id: string): Promise<TaskEventListView> {
    return presentEvents(id, await this.tasks.events(id));
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Cancel a task',
    description:
      'Not started (NEW, PENDING, RETRYING): CANCELLED at once, 200, and it never starts. Running: 202, the worker is told, and the task ends CANCELLED.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: TaskView, description: 'Cancelled.' })
  @ApiAcceptedResponse({ type: TaskView, description: 'Running: cancellation requested.' })
  @ApiProblems(400, 401, 403, 404, 409, 429, 503)
  async cancel(@Param('id', TaskIdPipe) id: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<TaskView> {
    const { task, accepted } = await this.tasks.cancel(id);
    if (accepted) reply.status(202);
    return presentTask(task);
  }

  @Post(':id/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Retry a FAILED or CANCELLED task', description: 'Back to NEW through the outbox; attempts start again.' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiAcceptedResponse({ type: TaskView })
  @ApiProblems(400, 401, 403, 404, 409, 429, 503)
  async retry(@Param('id', TaskIdPipe) id: string): Promise<TaskView> {
    return presentTask(await this.tasks.retry(id));
  }
}

/** The key scoped by the call and by the digest of the caller's API key (never the key itself). */
function idempotencyOf(call: 'tasks' | 'tasks.batch', key: string | undefined, request: FastifyRequest): IdempotencyRequest | undefined {
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw ApiError.validation([{ field: 'Idempotency-Key', message: 'must be 1 to 255 printable ASCII characters' }]);
  }
  const caller = apiKeyDigestOf(request);
  return { scope: caller ? `${call}:${caller}` : call, key, body: request.body };
}

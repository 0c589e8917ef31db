import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { DeadLetter } from '#database';
import { DEAD_LETTER_QUEUE } from '#messaging';
import type { FieldError } from '#tasks';
import { ApiError } from '../problems/api-error.js';
import { ApiProblems } from '../problems/api-problems.decorator.js';
import { encodeCursor } from '../tasks/cursor.js';
import { presentTask } from '../tasks/task.presenter.js';
import { TaskIdPipe } from '../tasks/uuid.pipe.js';
import { parseDeadLetterFilter, parsePage, parseReplaySelection } from './dead-letter-input.js';
import { DeadLetterListQuery, DeadLetterSummaryQuery } from './dto/dead-letter.query.js';
import { DeadLetterPageView, DeadLetterSummaryView, DeadLetterView, PurgeResultView, ReplayResultView } from './dto/dead-letter.view.js';
import { ReplayDeadLettersDto } from './dto/replay-dead-letters.dto.js';
import { DeadLettersService } from './dead-letters.service.js';

/**
 * The dead-letter queue over REST: what failed for good, grouped and paged; replays (a retry of
 * each task, through the outbox); and the purge of the copies in `tasks.dlq`. Reads need any
 * key; replay and purge need a key that may write (not one of API_READ_ONLY_KEYS).
 */
@ApiTags('dlq')
@ApiBearerAuth()
@Controller('dlq')
export class DeadLettersController {
  constructor(private readonly deadLetters: DeadLettersService) {}

  @Get()
  @ApiOperation({
    summary: 'What failed for good, grouped by type and reason',
    description: 'FAILED tasks that match the filters, counted by type and reason, and how many copies tasks.dlq holds.',
  })
  @ApiOkResponse({ type: DeadLetterSummaryView })
  @ApiProblems(400, 401, 429, 503)
  // The query DTO classes document the parameters (and are checked by the global ValidationPipe).
  async summary(@Query() query: DeadLetterSummaryQuery): Promise<DeadLetterSummaryView> {
    const errors: FieldError[] = [];
    const filter = parseDeadLetterFilter(query, errors);
    if (errors.length > 0) throw ApiError.validation(errors);
    const { groups, queueMessages } = await this.deadLetters.summary(filter);
    return {
      total: groups.reduce((sum, g) => sum + g.count, 0),
      groups: groups.map((g) => ({ ...g, oldestFailedAt: g.oldestFailedAt.toISOString(), newestFailedAt: g.newestFailedAt.toISOString() })),
      queue: { name: DEAD_LETTER_QUEUE, messages: queueMessages },
    };
  }

  @Get('tasks')
  @ApiOperation({
    summary: 'List what failed for good, most recent first',
    description: 'FAILED tasks with their reason and failure time. Keyset pagination: pass nextCursor as cursor.',
  })
  @ApiOkResponse({ type: DeadLetterPageView })
  @ApiProblems(400, 401, 429, 503)
  async list(@Query() query: DeadLetterListQuery): Promise<DeadLetterPageView> {
    const errors: FieldError[] = [];
    const filter = parseDeadLetterFilter(query, errors);
    const { after, limit } = parsePage(query, errors);
    if (errors.length > 0) throw ApiError.validation(errors);
    const page = await this.deadLetters.list(filter, after, limit);
    return {
      items: page.items.map(presentDeadLetter),
      nextCursor: page.next ? encodeCursor({ createdAt: page.next.failedAt, id: page.next.id }) : null,
    };
  }

  @Get('tasks/:id')
  @ApiOperation({ summary: 'One task that failed for good, with its reason', description: '404 when the task does not exist or is not FAILED.' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: DeadLetterView })
  @ApiProblems(400, 401, 404, 429, 503)
  async get(@Param('id', TaskIdPipe) id: string): Promise<DeadLetterView> {
    return presentDeadLetter(await this.deadLetters.get(id));
  }

  @Post('replay')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Replay FAILED tasks: some ids, a filter, or all',
    description:
      'Each FAILED task selected goes back to NEW with its attempts starting again and a new dispatch in the outbox, as POST /tasks/{id}/retry does. ' +
      'Exactly one of ids (1–1,000; every one must exist, or 404 and nothing is replayed), a filter (type, reason, since), or all: true. ' +
      'A filter replays, in batches, the tasks that had failed when the call began.',
  })
  @ApiBody({
    type: ReplayDeadLettersDto,
    examples: {
      ids: { summary: 'These tasks', value: { ids: ['4f6c0a52-5d0e-4c57-9a0e-0a4b1f1e3c2d'] } },
      type: { summary: 'Every FAILED task of a type since a time', value: { type: 'http.request', since: '2026-11-25T00:00:00Z' } },
      all: { summary: 'Every FAILED task', value: { all: true } },
    },
  })
  @ApiAcceptedResponse({ type: ReplayResultView })
  @ApiProblems(400, 401, 403, 404, 413, 415, 429, 503)
  async replay(@Body() body: ReplayDeadLettersDto): Promise<ReplayResultView> {
    const errors: FieldError[] = [];
    const selection = parseReplaySelection(body ?? {}, errors);
    if (!selection || errors.length > 0) throw ApiError.validation(errors);
    const { taskIds, skipped } = await this.deadLetters.replay(selection);
    return { replayed: taskIds.length, taskIds, skipped };
  }

  @Delete('messages')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Purge the copies in tasks.dlq',
    description:
      'Deletes every message tasks.dlq holds (the records of failures) and forgets the reasons of tasks no longer FAILED. ' +
      'FAILED tasks stay listed and can still be replayed. 503 when RabbitMQ cannot be asked; nothing is deleted.',
  })
  @ApiOkResponse({ type: PurgeResultView })
  @ApiProblems(401, 403, 429, 503)
  async purge(): Promise<PurgeResultView> {
    return this.deadLetters.purge();
  }
}

function presentDeadLetter(entry: DeadLetter): DeadLetterView {
  return { reason: entry.reason, failedAt: entry.failedAt.toISOString(), task: presentTask(entry.task) };
}

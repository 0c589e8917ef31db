import { ApiProperty } from '@nestjs/swagger';
import { TaskStatus } from '#tasks';
import { TaskView } from '../../tasks/dto/task.view.js';

const REASON_DESCRIPTION =
  'Why it failed for good: max-attempts-exhausted, permanent-error, timeout, result-not-storable, worker-lost (as in the x-task-dead-reason header ' +
  'of its copy in tasks.dlq), dispatch-failed (the relay gave up publishing it), or unknown (its reason was not recorded).';

/** A task that failed for good, with why and when. */
export class DeadLetterView {
  @ApiProperty({ example: 'max-attempts-exhausted', description: REASON_DESCRIPTION }) reason!: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-25T10:15:30.123Z' }) failedAt!: string;
  @ApiProperty({ type: TaskView }) task!: TaskView;
}

export class DeadLetterPageView {
  @ApiProperty({ type: [DeadLetterView] }) items!: DeadLetterView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as ?cursor= for the next page; null on the last page.', example: null })
  nextCursor!: string | null;
}

export class DeadLetterGroupView {
  @ApiProperty({ example: 'http.request' }) type!: string;
  @ApiProperty({ example: 'max-attempts-exhausted', description: REASON_DESCRIPTION }) reason!: string;
  @ApiProperty({ type: 'integer', example: 12 }) count!: number;
  @ApiProperty({ format: 'date-time', example: '2026-11-25T09:00:00.000Z' }) oldestFailedAt!: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-25T10:15:30.123Z' }) newestFailedAt!: string;
}

export class DeadLetterQueueView {
  @ApiProperty({ example: 'tasks.dlq' }) name!: string;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: 12,
    description: 'Copies the queue holds (records only; replay works from the tasks). Null when RabbitMQ cannot be asked.',
  })
  messages!: number | null;
}

export class DeadLetterSummaryView {
  @ApiProperty({ type: 'integer', example: 12, description: 'FAILED tasks that match the filters.' }) total!: number;
  @ApiProperty({ type: [DeadLetterGroupView], description: 'By type and reason, largest group first.' }) groups!: DeadLetterGroupView[];
  @ApiProperty({ type: DeadLetterQueueView }) queue!: DeadLetterQueueView;
}

export class ReplaySkipView {
  @ApiProperty({ format: 'uuid', example: '4f6c0a52-5d0e-4c57-9a0e-0a4b1f1e3c2d' }) id!: string;
  @ApiProperty({ enum: TaskStatus, example: TaskStatus.COMPLETED, description: 'Its status: only FAILED tasks are replayed.' }) status!: TaskStatus;
}

export class ReplayResultView {
  @ApiProperty({ type: 'integer', example: 1, description: 'Tasks put back to NEW, each with a new dispatch in the outbox.' }) replayed!: number;
  @ApiProperty({ type: [String], format: 'uuid', example: ['4f6c0a52-5d0e-4c57-9a0e-0a4b1f1e3c2d'], description: 'Their ids.' }) taskIds!: string[];
  @ApiProperty({ type: [ReplaySkipView], example: [], description: 'Named tasks that were not FAILED (a replay by ids only).' })
  skipped!: ReplaySkipView[];
}

export class PurgeResultView {
  @ApiProperty({ type: 'integer', example: 12, description: 'Copies deleted from tasks.dlq.' }) purged!: number;
  @ApiProperty({ type: 'integer', example: 3, description: 'Recorded reasons of tasks no longer FAILED, forgotten.' }) reasonsForgotten!: number;
}

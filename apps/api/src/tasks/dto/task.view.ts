import { ApiProperty } from '@nestjs/swagger';
import { TaskPriority, TaskStatus } from '#tasks';

/** Any JSON value, null included (OpenAPI 3.0 has no `type: null`: the object branch is nullable). */
const ANY_JSON = [
  { type: 'object', additionalProperties: true, nullable: true },
  { type: 'array', items: {} },
  { type: 'string' },
  { type: 'number' },
  { type: 'boolean' },
];

/** A task as the API returns it (documents/api.md, "The task"); documents the response schema. */
export class TaskView {
  @ApiProperty({ format: 'uuid', example: '4f6c0a52-5d0e-4c57-9a0e-0a4b1f1e3c2d' }) id!: string;
  @ApiProperty({ example: 'sleep' }) type!: string;
  @ApiProperty({ example: 'Resize avatar 42' }) title!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ enum: TaskPriority }) priority!: TaskPriority;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { ms: 250 } }) payload!: Record<string, unknown>;
  @ApiProperty({ enum: TaskStatus, example: TaskStatus.NEW }) status!: TaskStatus;
  // One of every JSON type, so a generated client does not narrow it to an object.
  @ApiProperty({ oneOf: ANY_JSON, description: 'What the handler returned: any JSON value.', example: null }) result!: unknown;
  @ApiProperty({ type: String, nullable: true, description: 'The last failure.' }) error!: string | null;
  @ApiProperty({ type: 'integer', example: 0 }) attempts!: number;
  @ApiProperty({ type: 'integer', example: 4 }) maxAttempts!: number;
  @ApiProperty({ type: 'integer', nullable: true, minimum: 0, maximum: 100 }) progress!: number | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) runAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) nextRetryAt!: string | null;
  @ApiProperty({ example: 'req-7f3a', description: 'From X-Request-ID.' }) correlationId!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) startedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) completedAt!: string | null;
}

export class TaskStatusView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: TaskStatus }) status!: TaskStatus;
  @ApiProperty({ type: 'integer', nullable: true, minimum: 0, maximum: 100 }) progress!: number | null;
  @ApiProperty({ type: 'integer' }) attempts!: number;
  @ApiProperty({ type: 'integer' }) maxAttempts!: number;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) nextRetryAt!: string | null;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class TaskPageView {
  @ApiProperty({ type: [TaskView] }) items!: TaskView[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as ?cursor= for the next page; null on the last page.' })
  nextCursor!: string | null;
}

export class TaskBatchView {
  @ApiProperty({ type: [TaskView] }) tasks!: TaskView[];
}

class CountByPriority {
  @ApiProperty({ type: 'integer', example: 0 }) LOW!: number;
  @ApiProperty({ type: 'integer', example: 2 }) MEDIUM!: number;
  @ApiProperty({ type: 'integer', example: 0 }) HIGH!: number;
}

class OutboxStatsView {
  @ApiProperty({ type: 'integer', description: 'Rows due and not yet published.' }) backlog!: number;
  @ApiProperty({ description: 'Seconds the oldest of them has waited.' }) oldestAgeSeconds!: number;
}

class QueueStatsView {
  @ApiProperty({ example: 'tasks.high' }) queue!: string;
  @ApiProperty({ type: 'integer', nullable: true, description: 'Messages ready in RabbitMQ; null when the broker cannot be asked.' }) depth!: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) consumers!: number | null;
  @ApiProperty({ description: 'Seconds the oldest PENDING task of this priority has waited.' }) oldestAgeSeconds!: number;
}

/** Every status is present, 0s included, so a generated client can type the counts exactly. */
class TaskCountsView implements Record<TaskStatus, CountByPriority> {
  @ApiProperty({ type: CountByPriority }) NEW!: CountByPriority;
  @ApiProperty({ type: CountByPriority }) PENDING!: CountByPriority;
  @ApiProperty({ type: CountByPriority }) IN_PROGRESS!: CountByPriority;
  @ApiProperty({ type: CountByPriority }) RETRYING!: CountByPriority;
  @ApiProperty({ type: CountByPriority }) COMPLETED!: CountByPriority;
  @ApiProperty({ type: CountByPriority }) FAILED!: CountByPriority;
  @ApiProperty({ type: CountByPriority }) CANCELLED!: CountByPriority;
}

export class StatsView {
  @ApiProperty({ type: TaskCountsView, description: 'Counts by status, then by priority.' })
  tasks!: Record<TaskStatus, CountByPriority>;
  @ApiProperty({ type: OutboxStatsView }) outbox!: OutboxStatsView;
  @ApiProperty({ type: [QueueStatsView] }) queues!: QueueStatsView[];
}

export class RetryPolicyView {
  @ApiProperty({
    enum: ['ladder', 'fixed', 'linear', 'exponential'],
    example: 'exponential',
    description: "`ladder`: the global RETRY_DELAYS_SECONDS; otherwise the type's own backoff.",
  })
  backoff!: 'ladder' | 'fixed' | 'linear' | 'exponential';
  @ApiProperty({ type: Number, nullable: true, example: 1, description: "The backoff's delay before the first retry; null for the ladder." })
  initialDelaySeconds!: number | null;
  @ApiProperty({ type: Number, nullable: true, example: 60, description: 'No delay of the backoff is longer; null for the ladder.' })
  maxDelaySeconds!: number | null;
  @ApiProperty({
    type: [Number],
    example: [1, 2, 4],
    description:
      'The delay before each retry of a task with maxAttempts attempts, in seconds, as the delay queues apply it ' +
      '(a backoff rounded onto the grid of delay steps).',
  })
  delaysSeconds!: number[];
}

export class BatchPolicyView {
  @ApiProperty({ example: 100, description: 'At most this many tasks of the type run in one runBatch call.' }) size!: number;
  @ApiProperty({ example: 200, description: 'Milliseconds the first task of a batch waits for others before the batch runs.' }) maxWaitMs!: number;
}

export class TaskPolicyView {
  @ApiProperty({ example: 4, description: 'Attempts of a task of this type that does not set its own maxAttempts.' }) maxAttempts!: number;
  @ApiProperty({ type: RetryPolicyView }) retry!: RetryPolicyView;
  @ApiProperty({ example: 300, description: 'Seconds an attempt may run before it is aborted and counts as failed.' }) timeoutSeconds!: number;
  @ApiProperty({
    type: Number,
    nullable: true,
    example: 2,
    description: 'At most this many tasks of this type run at once in one worker; null: no limit of its own (only WORKER_PREFETCH).',
  })
  concurrency!: number | null;
  @ApiProperty({
    type: BatchPolicyView,
    nullable: true,
    description: "A batch type's gathering: its tasks run together through runBatch; null: one by one.",
  })
  batch!: BatchPolicyView | null;
}

export class TaskTypeView {
  @ApiProperty({ example: 'sleep' }) type!: string;
  @ApiProperty({ example: 'Sleeps {ms} milliseconds.' }) description!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'JSON Schema of the payload.' }) payloadSchema!: Record<string, unknown>;
  @ApiProperty({ type: TaskPolicyView, description: "The type's effective policy: its own settings, the global ones where it has none." })
  policy!: TaskPolicyView;
}

export class TaskTypeListView {
  @ApiProperty({ type: [TaskTypeView] }) items!: TaskTypeView[];
}

export class TaskEventView {
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ enum: TaskStatus }) status!: TaskStatus;
  @ApiProperty({ type: 'integer', description: 'The attempt the task was in.' }) attempt!: number;
  @ApiProperty({ type: String, nullable: true, description: 'The worker (host:pid) that held the task.' }) worker!: string | null;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'published to tasks.medium',
    description: 'Where the task went: outbox, queue, retry step, worker, result.',
  })
  detail!: string | null;
}

export class TaskEventListView {
  @ApiProperty({ format: 'uuid' }) taskId!: string;
  @ApiProperty({ type: [TaskEventView] }) items!: TaskEventView[];
}

export { CountByPriority };

import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, TASK_QUEUES } from '#config';
import {
  DatabaseService,
  IdempotencyRepository,
  type NewTask,
  type NewTaskWithDispatch,
  type SqlExecutor,
  type TaskEvent,
  type TaskListQuery,
  type TaskPage,
  type TaskRecord,
  TaskRepository,
  type TaskStats,
} from '#database';
import { cancelControlMessage, dispatchMessage, type QueueDepth, QueueInspector } from '#messaging';
import { MetricsService } from '#observability';
import { defaultMaxAttempts, type PolicyDefaults, policyDefaults, TaskPriority, TaskRegistry, type TaskRouting, TaskStatus, TaskStatusMachine } from '#tasks';
import { ApiError } from '../problems/api-error.js';
import type { CreateTaskDto } from './dto/create-task.dto.js';
import { TaskCreateBatcher } from './task-create-batcher.js';

/**
 * An Idempotency-Key with the request it came with. `scope` is the call (`tasks`,
 * `tasks.batch`) and, when API keys are on, `:` and the digest of the caller's API key: one
 * client's key never replays or blocks another client's request.
 */
export interface IdempotencyRequest {
  scope: string;
  key: string;
  body: unknown;
}

/** A task type's routing and default attempts (TasksService.typeSettings). */
interface TypeSettings {
  routing: TaskRouting;
  maxAttempts: number;
}

export interface CreateOutcome {
  tasks: TaskRecord[];
  /** True when the key was seen before with the same body: these are the original tasks. */
  replayed: boolean;
}

/**
 * The task calls of the API. Thin: the controller's pipes have checked and parsed the input
 * (TaskInputValidator, ListTasksQueryPipe, TaskIdPipe), the repositories write (each call one
 * statement, or one transaction when an idempotency key is involved), the status machine decides
 * what a cancel or retry may do, and the presenter shapes the answers.
 */
@Injectable()
export class TasksService {
  /** The global settings a type's policy falls back to. */
  private readonly defaults: PolicyDefaults;
  private readonly logger = new Logger('Tasks');
  /** Per task type, see {@link typeSettings}. */
  private readonly byType = new Map<string, TypeSettings>();
  /** Per-task lines are written only at LOG_LEVEL=debug; below it, not even built. */
  private readonly debugLines: boolean;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly database: DatabaseService,
    private readonly tasks: TaskRepository,
    private readonly idempotency: IdempotencyRepository,
    private readonly queues: QueueInspector,
    private readonly metrics: MetricsService,
    private readonly batcher: TaskCreateBatcher,
    private readonly registry: TaskRegistry,
  ) {
    this.defaults = policyDefaults(config);
    this.debugLines = config.logLevel === 'debug';
  }

  /**
   * `POST /tasks`: one task. Without an idempotency key it is written by group commit, in one
   * statement and one commit with the single creates of other requests that arrive alongside
   * (TaskCreateBatcher); with one, exactly as {@link create}.
   */
  async createOne(dto: CreateTaskDto, correlationId: string, idempotency?: IdempotencyRequest): Promise<CreateOutcome> {
    if (idempotency) return this.create([dto], correlationId, idempotency);
    const created = [await this.batcher.create(this.toNewTask(dto, correlationId))];
    this.countCreated(created);
    this.logTasks('task created', created);
    return { tasks: created, replayed: false };
  }

  /**
   * Writes the tasks (validated by TaskInputValidator) and their outbox rows in one statement.
   * With an idempotency key, the key is taken in the same transaction, so two concurrent
   * requests with one key create one set of tasks.
   */
  async create(dtos: CreateTaskDto[], correlationId: string, idempotency?: IdempotencyRequest): Promise<CreateOutcome> {
    const items = dtos.map((dto) => this.toNewTask(dto, correlationId));

    if (!idempotency) {
      const created = await this.tasks.createWithDispatch(this.database, items);
      this.countCreated(created);
      this.logTasks('task created', created);
      return { tasks: created, replayed: false };
    }
    const hash = requestHash(idempotency.body);
    const outcome = await this.database.transaction(async (tx) => {
      if (await this.idempotency.take(tx, idempotency.scope, idempotency.key, hash)) {
        const created = await this.tasks.createWithDispatch(tx, items);
        await this.idempotency.record(
          tx,
          idempotency.scope,
          idempotency.key,
          created.map((t) => t.id),
        );
        return { tasks: created, replayed: false };
      }
      return { tasks: await this.replay(tx, idempotency, hash), replayed: true };
    });
    if (!outcome.replayed) this.countCreated(outcome.tasks);
    this.logTasks(outcome.replayed ? 'task replayed for an Idempotency-Key' : 'task created', outcome.tasks);
    return outcome;
  }

  async get(id: string): Promise<TaskRecord> {
    const task = await this.tasks.findById(this.database, id);
    if (!task) throw ApiError.notFound(`No task with id ${id}`);
    return task;
  }

  /** The task's timeline, oldest first. */
  async events(id: string): Promise<TaskEvent[]> {
    const events = await this.tasks.events(this.database, id);
    if (events.length === 0) await this.get(id);
    return events;
  }

  /** One page of tasks, newest first; the query was checked by ListTasksQueryPipe. */
  async list(query: TaskListQuery): Promise<TaskPage> {
    return this.tasks.list(this.database, query);
  }

  /**
   * A task no handler runs is CANCELLED at once (`accepted: false`). A running one gets a cancel
   * request, broadcast to the workers through the outbox (`accepted: true`, answered 202).
   */
  async cancel(id: string): Promise<{ task: TaskRecord; accepted: boolean }> {
    // A few rounds: the task may move between our reads (a worker claims it, or it finishes).
    for (let round = 0; round < 3; round++) {
      const cancelled = await this.tasks.cancelQueued(this.database, id);
      if (cancelled) {
        this.logTasks('task cancelled before it ran', [cancelled]);
        return { task: cancelled, accepted: false };
      }
      const current = await this.get(id);
      if (TaskStatusMachine.isTerminal(current.status)) {
        throw ApiError.conflict('TASK_ALREADY_FINISHED', `Task ${id} is already ${current.status}; only a task that has not finished can be cancelled`);
      }
      if (current.status === TaskStatus.IN_PROGRESS) {
        const requested = await this.tasks.requestCancel(this.database, id, cancelControlMessage(id, current.correlationId));
        if (requested) {
          this.logTasks('task cancel requested from its worker', [requested]);
          return { task: requested, accepted: true };
        }
      }
    }
    throw ApiError.conflict('TASK_BUSY', `Task ${id} changed status while it was being cancelled; try again`);
  }

  /**
   * FAILED or CANCELLED back to NEW through the outbox; attempts start again. The task is routed
   * by its type as the registry has it now (its queue group and event routing key are set again).
   */
  async retry(id: string): Promise<TaskRecord> {
    const current = await this.get(id);
    const routing = this.registry.routingOf(current.type, this.config.taskEvents.everyType);
    const dispatch = dispatchMessage({
      taskId: id,
      type: current.type,
      priority: current.priority,
      correlationId: current.correlationId,
      queueGroup: routing.queueGroup,
    });
    const requeued = await this.tasks.requeue(this.database, id, dispatch, routing);
    if (requeued) {
      this.logTasks('task back at NEW for a retry', [requeued]);
      return requeued;
    }
    const now = await this.get(id);
    throw ApiError.conflict('TASK_NOT_RETRYABLE', `Task ${id} is ${now.status}; only FAILED or CANCELLED tasks can be retried`);
  }

  /** The counts from the database and the depth of each work queue, asked side by side. */
  async stats(): Promise<{ stats: TaskStats; depths: QueueDepth[] }> {
    const [stats, depths] = await Promise.all([this.tasks.stats(this.database), this.queues.depths(TASK_QUEUES)]);
    return { stats, depths };
  }

  /**
   * One debug line per task with its id, type, attempts so far and correlation id, so a search
   * for the request id finds the task's id. Debug: at info a busy API would write one per create.
   */
  private logTasks(message: string, tasks: readonly TaskRecord[]): void {
    if (!this.debugLines) return;
    for (const task of tasks) {
      this.logger.debug(message, { taskId: task.id, type: task.type, attempt: task.attempts, correlationId: task.correlationId, priority: task.priority });
    }
  }

  private async replay(tx: SqlExecutor, idempotency: IdempotencyRequest, hash: string): Promise<TaskRecord[]> {
    const seen = await this.idempotency.find(tx, idempotency.scope, idempotency.key);
    if (!seen) throw ApiError.conflict('IDEMPOTENCY_KEY_BUSY', 'This Idempotency-Key is being used by another request; try again');
    if (seen.requestHash !== hash) {
      throw ApiError.conflict('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used within the last 24 hours with a different body');
    }
    return this.tasks.findByIds(tx, seen.taskIds);
  }

  private toNewTask(dto: CreateTaskDto, correlationId: string): NewTaskWithDispatch {
    const type = dto.type ?? 'noop';
    const payload = dto.payload ?? {};
    // Routed by type: the queue group picks the dispatch's queue, and the event routing key rides
    // on the row for the trigger that writes the task's terminal event.
    const { routing, maxAttempts } = this.typeSettings(type);
    const task: NewTask = {
      id: randomUUID(),
      type,
      title: dto.title,
      description: dto.description ?? null,
      priority: dto.priority ?? TaskPriority.MEDIUM,
      payload,
      // The request's own, else its type's, else 1 + MAX_RETRIES.
      maxAttempts: dto.maxAttempts ?? maxAttempts,
      runAt: dto.runAt ? new Date(dto.runAt) : null,
      correlationId,
      ...routing,
    };
    return { task, dispatch: dispatchMessage({ taskId: task.id, type, priority: task.priority, correlationId, queueGroup: routing.queueGroup }) };
  }

  /**
   * What a new task of `type` gets from its type: its routing, and its attempts when the request
   * gives none (its type's, else 1 + MAX_RETRIES). Worked out once per type: the registry and
   * the configuration do not change while the API runs.
   */
  private typeSettings(type: string): TypeSettings {
    let settings = this.byType.get(type);
    if (!settings) {
      settings = {
        routing: this.registry.routingOf(type, this.config.taskEvents.everyType),
        maxAttempts: this.registry.policy(type, this.defaults)?.maxAttempts ?? defaultMaxAttempts(this.config.retry.maxRetries),
      };
      this.byType.set(type, settings);
    }
    return settings;
  }

  private countCreated(tasks: TaskRecord[]): void {
    for (const task of tasks) this.metrics.tasksCreated.inc({ type: task.type, priority: task.priority });
  }
}

/** sha256 of the body with its keys sorted, so `{a,b}` and `{b,a}` are the same request. */
function requestHash(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

import type {
  CreateTaskDto,
  StatsView,
  TaskEventListView,
  TaskEventView,
  TaskPageView,
  TaskStatusView,
  TaskTypeView,
  TaskView,
} from './generated/api-types.js';
import { DeadLetterQueueCalls } from './dead-letters.js';
import { type CallOptions, commaList, queryString, Transport, type TaskServiceClientOptions } from './transport.js';

/** A task as the service returns it (documents/api.md, "The task"). */
export type Task = TaskView;
/** The body of one task to create: `title` is required, everything else has a default. */
export type CreateTaskInput = CreateTaskDto;
export type TaskStatus = TaskView['status'];
export type TaskPriority = TaskView['priority'];
export type TaskPage = TaskPageView;
export type TaskStatusSummary = TaskStatusView;
export type TaskTimeline = TaskEventListView;
/** One status change of a task's timeline. */
export type TaskEvent = TaskEventView;
export type TaskType = TaskTypeView;
export type TaskStats = StatsView;

/** The statuses a task stays in until someone asks for a retry. */
export const TERMINAL_STATUSES: readonly TaskStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

export interface CreateOptions extends CallOptions {
  /** Sent as the Idempotency-Key header: the same key and body within 24 h gives back the first task instead of a second one. */
  idempotencyKey?: string;
}

export interface ListFilters {
  status?: TaskStatus | readonly TaskStatus[];
  priority?: TaskPriority | readonly TaskPriority[];
  type?: string | readonly string[];
  /** Page size, 1–100 (the service's default is 20). */
  limit?: number;
  /** Start after this cursor (a `nextCursor` of an earlier page). */
  cursor?: string;
}

export interface WaitOptions {
  /** `'terminal'` (COMPLETED, FAILED or CANCELLED) or the statuses to wait for. */
  until: 'terminal' | readonly TaskStatus[];
  /** Give up after this long with a {@link TaskWaitTimeout}; default 60,000 ms. */
  timeoutMs?: number;
  /** Time between two polls; default 500 ms. */
  intervalMs?: number;
  signal?: AbortSignal;
}

/** `waitFor` gave up: the task had not reached a status it waited for. */
export class TaskWaitTimeout extends Error {
  constructor(
    readonly taskId: string,
    readonly lastStatus: TaskStatus,
    readonly timeoutMs: number,
  ) {
    super(`task ${taskId} is still ${lastStatus} after ${timeoutMs} ms`);
    this.name = 'TaskWaitTimeout';
  }
}

/**
 * A typed client of the task service's REST API over fetch, with no other dependency. Every
 * refusal is thrown as a {@link TaskServiceProblem} subclass (ValidationProblem, NotFoundProblem,
 * ...); a network failure rejects as fetch does.
 */
export class TaskServiceClient {
  private readonly transport: Transport;
  /** The dead-letter queue: what failed for good, grouped and paged; replays; the purge of `tasks.dlq`. */
  readonly dlq: DeadLetterQueueCalls;

  constructor(options: TaskServiceClientOptions) {
    this.transport = new Transport(options);
    this.dlq = new DeadLetterQueueCalls(this.transport);
  }

  /** `POST /tasks`: 201 with the new task, or, for an Idempotency-Key already seen with this body, the task it created. */
  async create(input: CreateTaskInput, options: CreateOptions = {}): Promise<Task> {
    return this.transport.call<Task>('POST', '/tasks', options, input, options.idempotencyKey);
  }

  /** `POST /tasks/batch`: 1–1,000 tasks in one transaction, in input order; one bad item refuses them all (ValidationProblem naming `tasks[i].field`). */
  async createBatch(inputs: readonly CreateTaskInput[], options: CreateOptions = {}): Promise<Task[]> {
    const { tasks } = await this.transport.call<{ tasks: Task[] }>('POST', '/tasks/batch', options, { tasks: inputs }, options.idempotencyKey);
    return tasks;
  }

  /** `GET /tasks/{id}`. */
  async get(id: string, options: CallOptions = {}): Promise<Task> {
    return this.transport.call<Task>('GET', `/tasks/${encodeURIComponent(id)}`, options);
  }

  /** `GET /tasks/{id}/status`: status, progress and attempts, without payload and result. */
  async status(id: string, options: CallOptions = {}): Promise<TaskStatusSummary> {
    return this.transport.call<TaskStatusSummary>('GET', `/tasks/${encodeURIComponent(id)}/status`, options);
  }

  /** `GET /tasks/{id}/events`: every status change, oldest first. */
  async events(id: string, options: CallOptions = {}): Promise<TaskTimeline> {
    return this.transport.call<TaskTimeline>('GET', `/tasks/${encodeURIComponent(id)}/events`, options);
  }

  /**
   * Polls the task's status until it is one of `until` (or terminal), then returns the task.
   * Throws {@link TaskWaitTimeout} after `timeoutMs`.
   */
  async waitFor(id: string, options: WaitOptions): Promise<Task> {
    const wanted = options.until === 'terminal' ? TERMINAL_STATUSES : options.until;
    if (wanted.length === 0) throw new TypeError('waitFor: until names no status');
    const timeoutMs = options.timeoutMs ?? 60_000;
    const intervalMs = options.intervalMs ?? 500;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { status } = await this.status(id, { signal: options.signal });
      if (wanted.includes(status)) {
        const task = await this.get(id, { signal: options.signal });
        // The status may have moved on between the two calls (a retry); the task says where it is now.
        if (wanted.includes(task.status)) return task;
        continue;
      }
      if (Date.now() >= deadline) throw new TaskWaitTimeout(id, status, timeoutMs);
      await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())), options.signal);
    }
  }

  /**
   * `DELETE /tasks/{id}`: CANCELLED when it had not started; still IN_PROGRESS (cancellation
   * requested) when running. ConflictProblem when already finished.
   */
  async cancel(id: string, options: CallOptions = {}): Promise<Task> {
    return this.transport.call<Task>('DELETE', `/tasks/${encodeURIComponent(id)}`, options);
  }

  /** `POST /tasks/{id}/retry`: a FAILED or CANCELLED task back at NEW, attempts from 0. ConflictProblem otherwise. */
  async retry(id: string, options: CallOptions = {}): Promise<Task> {
    return this.transport.call<Task>('POST', `/tasks/${encodeURIComponent(id)}/retry`, options);
  }

  /** One page of `GET /tasks`, newest first, with the cursor of the next (null on the last). */
  async listPage(filters: ListFilters = {}, options: CallOptions = {}): Promise<TaskPage> {
    return this.transport.call<TaskPage>('GET', `/tasks${listQuery(filters)}`, options);
  }

  /**
   * Every task matching `filters`, newest first, fetched a page at a time (`limit` per page) as
   * the loop asks for more: `for await (const task of client.list({ status: 'FAILED' }))`.
   * Keyset paging: tasks created meanwhile never shift or repeat a task.
   */
  async *list(filters: ListFilters = {}, options: CallOptions = {}): AsyncGenerator<Task, void, undefined> {
    let cursor = filters.cursor;
    for (;;) {
      const page = await this.listPage({ ...filters, cursor }, options);
      yield* page.items;
      if (page.nextCursor === null) return;
      cursor = page.nextCursor;
    }
  }

  /** `GET /tasks/stats`: counts by status and priority, outbox backlog, queue depths. */
  async stats(options: CallOptions = {}): Promise<TaskStats> {
    return this.transport.call<TaskStats>('GET', '/tasks/stats', options);
  }

  /** `GET /task-types`: each registered type with the JSON Schema of its payload. */
  async taskTypes(options: CallOptions = {}): Promise<TaskType[]> {
    const { items } = await this.transport.call<{ items: TaskType[] }>('GET', '/task-types', options);
    return items;
  }
}

/** The query string of `GET /tasks`: each filter one value or a comma list. */
export function listQuery(filters: ListFilters): string {
  return queryString([
    ['status', commaList(filters.status)],
    ['priority', commaList(filters.priority)],
    ['type', commaList(filters.type)],
    ['limit', filters.limit === undefined ? undefined : String(filters.limit)],
    ['cursor', filters.cursor],
  ]);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

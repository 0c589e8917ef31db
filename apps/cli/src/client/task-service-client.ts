/**
 * The few HTTP calls the command line makes, shaped like a typed client of the API
 * (`new TaskServiceClient({ baseUrl, apiKey?, fetch? })`, typed problem errors), so the command
 * line can move onto a shared client package without changing its commands. Plain `fetch`; the
 * API key travels only in the Authorization header and never appears in an error.
 */

/** An RFC 9457 problem as the API sends it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId?: string;
  errors?: { field: string; message: string }[];
}

/** The API answered with a problem (4xx or 5xx). */
export class TaskServiceProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail || problem.title);
    this.name = 'TaskServiceProblemError';
  }

  get status(): number {
    return this.problem.status;
  }
}

/** The API could not be reached at all (refused, unknown host, no answer in time). */
export class TaskServiceUnreachableError extends Error {
  constructor(
    readonly baseUrl: string,
    readonly reason: string,
  ) {
    super(`cannot reach the task service API at ${baseUrl} (${reason})`);
    this.name = 'TaskServiceUnreachableError';
  }
}

export type Priority = 'LOW' | 'MEDIUM' | 'HIGH';
export type Status = 'NEW' | 'PENDING' | 'IN_PROGRESS' | 'RETRYING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';

export interface Task {
  id: string;
  type: string;
  title: string;
  description: string | null;
  priority: Priority;
  payload: Record<string, unknown>;
  status: Status;
  result: unknown;
  error: string | null;
  attempts: number;
  maxAttempts: number;
  progress: number | null;
  runAt: string | null;
  nextRetryAt: string | null;
  correlationId: string;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  completedAt: string | null;
}

export interface NewTask {
  type?: string;
  title: string;
  description?: string;
  priority?: Priority;
  payload?: Record<string, unknown>;
  maxAttempts?: number;
  runAt?: string;
}

export interface TaskPage {
  items: Task[];
  nextCursor: string | null;
}

export interface TaskListFilter {
  status?: string;
  priority?: string;
  type?: string;
  limit?: number;
  cursor?: string;
}

export interface TaskEvent {
  at: string;
  status: Status;
  attempt: number;
  worker: string | null;
  error: string | null;
  detail: string | null;
}

export interface Stats {
  tasks: Record<string, Record<Priority, number>>;
  outbox: { backlog: number; oldestAgeSeconds: number };
  queues: { queue: string; depth: number | null; consumers: number | null; oldestAgeSeconds: number }[];
}

export interface DeadLetterFilter {
  type?: string;
  reason?: string;
  since?: string;
}

export interface DeadLetterSummary {
  total: number;
  groups: { type: string; reason: string; count: number; oldestFailedAt: string; newestFailedAt: string }[];
  queue: { name: string; messages: number | null };
}

export interface DeadLetter {
  reason: string;
  failedAt: string;
  task: Task;
}

export interface DeadLetterPage {
  items: DeadLetter[];
  nextCursor: string | null;
}

export type ReplaySelection = { ids: string[] } | DeadLetterFilter | { all: true };

export interface ReplayResult {
  replayed: number;
  taskIds: string[];
  skipped: { id: string; status: Status }[];
}

export interface TaskServiceClientOptions {
  /** The API's base URL, without `/api/v1`. */
  baseUrl: string;
  apiKey?: string;
  fetch?: typeof fetch;
  /** Per request; 30 s when absent. */
  timeoutMs?: number;
}

export class TaskServiceClient {
  private readonly baseUrl: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: TaskServiceClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetch = options.fetch ?? fetch;
  }

  create(task: NewTask): Promise<Task> {
    return this.request('POST', '/tasks', task);
  }

  async createBatch(tasks: NewTask[]): Promise<Task[]> {
    return (await this.request<{ tasks: Task[] }>('POST', '/tasks/batch', { tasks })).tasks;
  }

  get(id: string): Promise<Task> {
    return this.request('GET', `/tasks/${encodeURIComponent(id)}`);
  }

  async events(id: string): Promise<TaskEvent[]> {
    return (await this.request<{ items: TaskEvent[] }>('GET', `/tasks/${encodeURIComponent(id)}/events`)).items;
  }

  /** `accepted`: the task was running, and a cancel was requested (202). */
  async cancel(id: string): Promise<{ task: Task; accepted: boolean }> {
    const { body, status } = await this.send<Task>('DELETE', `/tasks/${encodeURIComponent(id)}`);
    return { task: body, accepted: status === 202 };
  }

  retry(id: string): Promise<Task> {
    return this.request('POST', `/tasks/${encodeURIComponent(id)}/retry`);
  }

  listPage(filter: TaskListFilter = {}): Promise<TaskPage> {
    return this.request('GET', `/tasks${query({ ...filter })}`);
  }

  /** Every task the filter matches, newest first, page after page. */
  async *list(filter: TaskListFilter = {}): AsyncGenerator<Task> {
    let cursor = filter.cursor;
    do {
      const page = await this.listPage({ ...filter, cursor });
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  stats(): Promise<Stats> {
    return this.request('GET', '/tasks/stats');
  }

  async taskTypes(): Promise<{ type: string; description: string; payloadSchema: Record<string, unknown> }[]> {
    return (await this.request<{ items: { type: string; description: string; payloadSchema: Record<string, unknown> }[] }>('GET', '/task-types')).items;
  }

  dlqSummary(filter: DeadLetterFilter = {}): Promise<DeadLetterSummary> {
    return this.request('GET', `/dlq${query({ ...filter })}`);
  }

  dlqList(filter: DeadLetterFilter & { limit?: number; cursor?: string } = {}): Promise<DeadLetterPage> {
    return this.request('GET', `/dlq/tasks${query({ ...filter })}`);
  }

  dlqGet(id: string): Promise<DeadLetter> {
    return this.request('GET', `/dlq/tasks/${encodeURIComponent(id)}`);
  }

  dlqReplay(selection: ReplaySelection): Promise<ReplayResult> {
    return this.request('POST', '/dlq/replay', selection);
  }

  dlqPurge(): Promise<{ purged: number; reasonsForgotten: number }> {
    return this.request('DELETE', '/dlq/messages');
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await this.send<T>(method, path, body)).body;
  }

  private async send<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    let response: Response;
    try {
      response = await this.fetch(`${this.baseUrl}/api/v1${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      throw new TaskServiceUnreachableError(this.baseUrl, reasonOf(error));
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!response.ok) throw new TaskServiceProblemError(asProblem(parsed, response.status, text));
    return { status: response.status, body: parsed as T };
  }
}

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

function asProblem(body: unknown, status: number, text: string): Problem {
  const value = (body ?? {}) as Partial<Problem>;
  return {
    type: typeof value.type === 'string' ? value.type : 'about:blank',
    title: typeof value.title === 'string' ? value.title : `HTTP ${status}`,
    status,
    detail: typeof value.detail === 'string' ? value.detail : text.slice(0, 200),
    code: typeof value.code === 'string' ? value.code : `HTTP_${status}`,
    requestId: typeof value.requestId === 'string' ? value.requestId : undefined,
    errors: Array.isArray(value.errors) ? value.errors : undefined,
  };
}

/** The low-level reason of a failed fetch (ECONNREFUSED, ENOTFOUND, a time-out), never a header. */
function reasonOf(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'no answer in time';
  const cause = (error as { cause?: { code?: unknown; message?: unknown } })?.cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** The API as the dashboard uses it: its types, the key, and problems (RFC 9457) as errors. */

export const STATUSES = ['NEW', 'PENDING', 'IN_PROGRESS', 'RETRYING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export const PRIORITIES = ['HIGH', 'MEDIUM', 'LOW'] as const;
export const FINISHED: readonly string[] = ['COMPLETED', 'FAILED', 'CANCELLED'];
export type Status = (typeof STATUSES)[number];
export type Priority = (typeof PRIORITIES)[number];

export interface Task {
  id: string;
  type: string;
  title: string;
  description: string | null;
  priority: Priority;
  payload: unknown;
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

export interface TaskEvent {
  at: string;
  status: Status;
  attempt: number;
  worker: string | null;
  error: string | null;
  detail: string | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Stats {
  tasks: Record<Status, Record<Priority, number>>;
  outbox: { backlog: number; oldestAgeSeconds: number };
  queues: { queue: string; depth: number | null; consumers: number | null; oldestAgeSeconds: number }[];
}

export interface TaskType {
  type: string;
  description: string;
  payloadSchema: JsonSchema;
  /** Per-type policy, when the API serves one (shown as it comes). */
  policy?: Record<string, unknown> | null;
}

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  format?: string;
  description?: string;
  items?: JsonSchema;
  [key: string]: unknown;
}

export interface DeadLetter {
  reason: string;
  failedAt: string;
  task: Task;
}

export interface DeadLetterSummary {
  total: number;
  groups: { type: string; reason: string; count: number; oldestFailedAt: string; newestFailedAt: string }[];
  queue: { name: string; messages: number | null };
}

export interface ReplayResult {
  replayed: number;
  taskIds: string[];
  skipped: { id: string; status: Status }[];
}

/** An answer that was not 2xx, with what the API said about it. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly code: string | null,
    readonly errors: { field: string; message: string }[],
    readonly requestId: string | null,
  ) {
    super(detail || title);
  }
}

const KEY_ITEM = 'task-dashboard.api-key';
const READ_ONLY_ITEM = 'task-dashboard.read-only';

/**
 * The API key lives in sessionStorage: entered once per tab, gone when the tab closes, never in
 * a URL (so never in history, logs or a Referer), sent only as `Authorization: Bearer`.
 */
export const session = {
  key(): string | null {
    return sessionStorage.getItem(KEY_ITEM);
  },
  setKey(key: string): void {
    sessionStorage.setItem(KEY_ITEM, key);
    sessionStorage.removeItem(READ_ONLY_ITEM);
  },
  forget(): void {
    sessionStorage.removeItem(KEY_ITEM);
    sessionStorage.removeItem(READ_ONLY_ITEM);
  },
  /** True once the API refused a write with this key (403 API_KEY_READ_ONLY). */
  readOnly(): boolean {
    return sessionStorage.getItem(READ_ONLY_ITEM) === 'true';
  },
  markReadOnly(): void {
    sessionStorage.setItem(READ_ONLY_ITEM, 'true');
  },
};

/** Fired on `window` when the API refuses the key (401) and when it turns out read-only (403). */
export const AUTH_REQUIRED = 'dashboard:auth-required';
export const READ_ONLY = 'dashboard:read-only';

const BASE = '/api/v1';

/** One call to the API. Throws ApiProblem on any answer that is not 2xx. */
export async function call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const key = session.key();
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    const init: RequestInit = { method, headers, cache: 'no-store' };
    if (body !== undefined) init.body = JSON.stringify(body);
    response = await fetch(BASE + path, init);
  } catch (error) {
    throw new ApiProblem(0, 'The API cannot be reached', `No answer from the API (${error instanceof Error ? error.message : String(error)}).`, null, [], null);
  }
  const text = await response.text();
  const json: unknown = text ? safeParse(text) : null;
  if (response.ok) return json as T;
  const problem = toProblem(response, json);
  if (problem.status === 401) window.dispatchEvent(new CustomEvent(AUTH_REQUIRED, { detail: problem }));
  if (problem.status === 403 && problem.code === 'API_KEY_READ_ONLY') {
    session.markReadOnly();
    window.dispatchEvent(new CustomEvent(READ_ONLY, { detail: problem }));
  }
  throw problem;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toProblem(response: Response, json: unknown): ApiProblem {
  const p = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>;
  const str = (value: unknown) => (typeof value === 'string' ? value : null);
  return new ApiProblem(
    response.status,
    str(p.title) ?? `HTTP ${response.status}`,
    str(p.detail) ?? (typeof json === 'string' ? json.slice(0, 500) : response.statusText),
    str(p.code),
    Array.isArray(p.errors) ? (p.errors as { field: string; message: string }[]) : [],
    str(p.requestId) ?? response.headers.get('x-request-id'),
  );
}

/** `?a=1&b=2` from the values that are set, or '' when none is. */
export function query(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== null && value !== undefined && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

import type { FieldErrorView } from './generated/api-types.js';

/** What kind of refusal a problem is; each kind but `other` has its own class. */
export type ProblemKind = 'validation' | 'unauthorized' | 'forbidden' | 'not-found' | 'conflict' | 'rate-limited' | 'unavailable' | 'other';

/** The fields of an RFC 9457 problem as this service sends them (documents/api.md, "Errors"). */
export interface ProblemFields {
  status: number;
  type: string;
  title: string;
  detail: string;
  /** The service's own code: VALIDATION_FAILED, TASK_ALREADY_FINISHED, ... */
  code?: string;
  instance?: string;
  /** The X-Request-ID of the refused request: quote it when asking what happened. */
  requestId?: string;
  /** Each bad field of a 400, e.g. `{ field: 'tasks[3].title', message: '...' }`. */
  errors?: FieldErrorView[];
}

/**
 * The service refused a call: an RFC 9457 problem (or an error answer that was not one, as
 * `type: 'about:blank'`). Catch a subclass, or switch on `kind`.
 */
export class TaskServiceProblem extends Error {
  readonly kind: ProblemKind = 'other';
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  readonly code: string | undefined;
  readonly instance: string | undefined;
  readonly requestId: string | undefined;
  readonly errors: readonly FieldErrorView[];
  /** Seconds from `Retry-After` (429, 503), or null when the answer had none. */
  readonly retryAfterSeconds: number | null;

  constructor(fields: ProblemFields, retryAfterSeconds: number | null = null) {
    super(`${fields.status} ${fields.title}: ${fields.detail}`);
    this.name = new.target.name;
    this.status = fields.status;
    this.type = fields.type;
    this.title = fields.title;
    this.detail = fields.detail;
    this.code = fields.code;
    this.instance = fields.instance;
    this.requestId = fields.requestId;
    this.errors = fields.errors ?? [];
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** 400: a field is wrong, missing or unknown; `errors` names each one. */
export class ValidationProblem extends TaskServiceProblem {
  override readonly kind = 'validation';
}

/** 401: the API key is missing or wrong. */
export class UnauthorizedProblem extends TaskServiceProblem {
  override readonly kind = 'unauthorized';
}

/** 403: the API key may not do this: a read-only key (API_READ_ONLY_KEYS) on a call that writes (code `API_KEY_READ_ONLY`). */
export class ForbiddenProblem extends TaskServiceProblem {
  override readonly kind = 'forbidden';
}

/** 404: no such task (or, from `dlq.get`, no such FAILED task). */
export class NotFoundProblem extends TaskServiceProblem {
  override readonly kind = 'not-found';
}

/** 409: the call does not fit the task's state (already finished, not retryable), or an Idempotency-Key reused with another body. */
export class ConflictProblem extends TaskServiceProblem {
  override readonly kind = 'conflict';
}

/** 429: over the rate limit; `retryAfterSeconds` says when to come back. */
export class RateLimitedProblem extends TaskServiceProblem {
  override readonly kind = 'rate-limited';
}

/** 503: the service cannot reach its database; nothing was written. */
export class UnavailableProblem extends TaskServiceProblem {
  override readonly kind = 'unavailable';
}

const CLASS_OF_STATUS: Record<number, new (fields: ProblemFields, retryAfterSeconds: number | null) => TaskServiceProblem> = {
  400: ValidationProblem,
  401: UnauthorizedProblem,
  403: ForbiddenProblem,
  404: NotFoundProblem,
  409: ConflictProblem,
  429: RateLimitedProblem,
  503: UnavailableProblem,
};

/**
 * The problem an error answer stands for. `body` is the parsed JSON (or undefined when the body
 * was not JSON, e.g. a proxy's HTML page: then `text` gives the detail); `retryAfter` is the
 * `Retry-After` header.
 */
export function problemFromResponse(
  status: number,
  statusText: string,
  body: unknown,
  text: string,
  retryAfter: string | null,
  now = Date.now(),
): TaskServiceProblem {
  const fields = isProblem(body)
    ? { ...body, status }
    : {
        status,
        type: 'about:blank',
        title: statusText || `HTTP ${status}`,
        detail: text.slice(0, 500) || `the service answered ${status} without a problem document`,
      };
  const Problem = CLASS_OF_STATUS[status] ?? TaskServiceProblem;
  return new Problem(fields, parseRetryAfter(retryAfter, now));
}

function isProblem(body: unknown): body is ProblemFields {
  if (typeof body !== 'object' || body === null) return false;
  const { type, title, detail } = body as Record<string, unknown>;
  return typeof type === 'string' && typeof title === 'string' && typeof detail === 'string';
}

/** `Retry-After` as seconds: a whole number of seconds, or an HTTP date (RFC 9110 §10.2.3); null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  // Only the IMF-fixdate form senders must use: Date.parse alone would read '-5' as a year.
  if (!/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(trimmed)) return null;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

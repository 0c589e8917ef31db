import { problemFromResponse } from './problems.js';

/** The API's base path; every call of this client is under it. */
export const API_BASE_PATH = '/api/v1';

/** The header the API reads an idempotency key from. */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

export interface TaskServiceClientOptions {
  /** Where the api listens, e.g. `http://localhost:3000` (without /api/v1). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>` when the service has API_KEYS. */
  apiKey?: string;
  /** A fetch of your own (a proxy agent, a time-out, a test double); the global fetch otherwise. */
  fetch?: typeof fetch;
  /** X-Request-ID of every call (a value, or a function called per request) unless a call names its own; it becomes the correlationId of created tasks. */
  requestId?: string | (() => string);
}

export interface CallOptions {
  /** X-Request-ID of this call. */
  requestId?: string;
  signal?: AbortSignal;
}

/**
 * One request to the API and its JSON answer, for the task calls and the DLQ calls alike: the
 * headers every call carries, and every error answer turned into its typed problem.
 */
export class Transport {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: TaskServiceClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new TypeError(`baseUrl must be an absolute http(s) URL such as http://localhost:3000 (got ${JSON.stringify(options.baseUrl)})`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`baseUrl must be an http or https URL (got ${options.baseUrl})`);
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== 'function') throw new TypeError('no fetch: pass options.fetch, or run on Node.js 18 or newer');
    this.fetchImpl = fetchImpl;
  }

  /** `path` is under {@link API_BASE_PATH}, with its query string. */
  async call<T>(method: string, path: string, options: CallOptions, body?: unknown, idempotencyKey?: string): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.apiKey !== undefined) headers.authorization = `Bearer ${this.options.apiKey}`;
    const requestId = options.requestId ?? (typeof this.options.requestId === 'function' ? this.options.requestId() : this.options.requestId);
    if (requestId !== undefined) headers['x-request-id'] = requestId;
    if (idempotencyKey !== undefined) headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()] = idempotencyKey;
    const response = await this.fetchImpl(`${this.baseUrl}${API_BASE_PATH}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: options.signal,
    });
    const text = await response.text();
    const parsed = parseJson(text);
    if (!response.ok) throw problemFromResponse(response.status, response.statusText, parsed, text, response.headers.get('retry-after'));
    if (parsed === undefined) throw new TypeError(`${method} ${path}: the service answered ${response.status} with a body that is not JSON`);
    return parsed as T;
  }
}

/** A filter value as the API reads it: one value, or a comma list. */
export function commaList(value: string | readonly string[] | undefined): string | undefined {
  return value === undefined ? undefined : typeof value === 'string' ? value : value.join(',');
}

/** `?name=value&...` of the entries given, in their order, leaving out what is undefined or empty; '' when none is left. */
export function queryString(entries: readonly (readonly [string, string | undefined])[]): string {
  const params = new URLSearchParams();
  for (const [name, value] of entries) if (value !== undefined && value !== '') params.set(name, value);
  const query = params.toString();
  return query === '' ? '' : `?${query}`;
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

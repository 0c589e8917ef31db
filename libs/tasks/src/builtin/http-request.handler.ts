import { Injectable } from '@nestjs/common';
import { IsIn, IsInt, IsObject, IsOptional, IsUrl, Max, Min, ValidateBy } from 'class-validator';
import { PermanentTaskError, TransientTaskError } from '../registry/task-errors.js';
import { TaskHandler } from '../registry/task-handler.decorator.js';
import type { TaskContext, TaskHandlerContract } from '../registry/task-handler.interface.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const MAX_RESPONSE_CHARS = 65_536;

export class HttpRequestPayload {
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  url!: string;

  @IsIn(METHODS)
  method!: (typeof METHODS)[number];

  @IsOptional()
  @IsObject()
  @ValidateBy({
    name: 'isStringRecord',
    validator: {
      validate: (value: unknown) => typeof value === 'object' && value !== null && Object.values(value).every((v) => typeof v === 'string'),
      defaultMessage: () => 'headers must map each header name to a string',
    },
  })
  headers?: Record<string, string>;

  /** Sent as JSON unless it is a string. */
  @IsOptional()
  body?: unknown;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(600_000)
  timeoutMs?: number;
}

export interface HttpRequestResult {
  status: number;
  body: unknown;
}

/**
 * Calls an HTTP service. A 5xx, a network error or a time-out is retried; a 4xx fails for good.
 * The result holds the status and the body (JSON when it parses, text otherwise, cut at 64 KiB).
 */
@Injectable()
@TaskHandler({
  type: 'http.request',
  payload: HttpRequestPayload,
  description: 'Calls {url} with {method, headers?, body?, timeoutMs?}; 5xx and time-outs are retried, 4xx fails for good.',
})
export class HttpRequestHandler implements TaskHandlerContract<HttpRequestPayload, HttpRequestResult> {
  async run(payload: HttpRequestPayload, context: TaskContext): Promise<HttpRequestResult> {
    const timeout = AbortSignal.timeout(payload.timeoutMs ?? 30_000);
    const signal = AbortSignal.any([context.signal, timeout]);
    const headers: Record<string, string> = { 'x-request-id': context.correlationId, ...(payload.headers ?? {}) };
    let body: string | undefined;
    if (payload.body !== undefined && payload.method !== 'GET' && payload.method !== 'HEAD') {
      body = typeof payload.body === 'string' ? payload.body : JSON.stringify(payload.body);
      if (typeof payload.body !== 'string' && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
        headers['content-type'] = 'application/json';
      }
    }
    let response: Response;
    try {
      response = await fetch(payload.url, { method: payload.method, headers, body, signal });
    } catch (error) {
      if (context.signal.aborted) throw context.signal.reason;
      if (timeout.aborted) throw new TransientTaskError(`http.request: no answer from ${payload.method} ${payload.url} within ${payload.timeoutMs ?? 30_000} ms`);
      throw new TransientTaskError(`http.request: ${payload.method} ${payload.url} failed: ${(error as Error).message}`);
    }
    const text = (await response.text()).slice(0, MAX_RESPONSE_CHARS);
    if (response.status >= 500) throw new TransientTaskError(`http.request: ${payload.method} ${payload.url} answered ${response.status}`);
    if (response.status >= 400) throw new PermanentTaskError(`http.request: ${payload.method} ${payload.url} answered ${response.status}`);
    return { status: response.status, body: parseJson(text) };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

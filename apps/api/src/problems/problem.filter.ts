import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger, NotFoundException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable, isIllegalStatusTransition } from '#database';
import { requestPath } from '../http/request-path.js';
import type { RouteTable } from '../http/route-table.js';
import { ApiError } from './api-error.js';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, type ProblemDocument, type ProblemKind } from './problem.js';

const logger = new Logger('Problems');

const KIND_BY_STATUS: Record<number, ProblemKind> = {
  400: 'VALIDATION',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  408: 'REQUEST_TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  431: 'HEADERS_TOO_LARGE',
  503: 'UNAVAILABLE',
};

/**
 * Builds the problem document for any error. Only {@link ApiError}, Nest's HTTP exceptions and
 * Fastify's own 4xx errors say what went wrong; everything else is a 500 (or a 503 when the
 * database is unreachable) whose detail names no internals.
 */
export function toProblem(error: unknown, request: FastifyRequest): { problem: ProblemDocument; headers: Record<string, string> } {
  const base = { instance: requestPath(request.url), requestId: String(request.id) };
  if (error instanceof ApiError) {
    const kind = PROBLEM_TYPES[error.kind];
    return {
      problem: { ...kind, detail: error.detail, code: error.code, ...base, ...(error.errors ? { errors: error.errors } : {}) },
      headers: error.headers,
    };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const kind = KIND_BY_STATUS[status];
    if (kind && status < 500) {
      const response = error.getResponse();
      const message = typeof response === 'object' && response && 'message' in response ? response.message : error.message;
      const detail = Array.isArray(message) ? message.join('; ') : String(message);
      // Fastify's body parser reports broken or empty JSON as a plain 400.
      if (status === 400 && /json/i.test(detail)) {
        return { problem: { ...PROBLEM_TYPES.MALFORMED_BODY, detail: `${detail}; send a JSON object.`, code: 'MALFORMED_BODY', ...base }, headers: {} };
      }
      return { problem: { ...PROBLEM_TYPES[kind], detail, code: kind === 'VALIDATION' ? 'BAD_REQUEST' : kind, ...base }, headers: {} };
    }
  }
  const fastifyError = error as { statusCode?: number; code?: string; message?: string };
  if (typeof fastifyError.code === 'string' && fastifyError.code.startsWith('FST_') && fastifyError.statusCode && fastifyError.statusCode < 500) {
    return { problem: fromFastifyError(fastifyError.statusCode, fastifyError.code, fastifyError.message ?? '', base), headers: {} };
  }
  const pluginStatus = fastifyError.statusCode ?? (error as { status?: unknown }).status;
  if (typeof pluginStatus === 'number' && pluginStatus >= 400 && pluginStatus < 500) {
    // A Fastify plugin's own refusal of what the request asked for, e.g. Swagger UI's static
    // files answering 403 to a path with dot segments (`/docs/..`): the file does not exist for
    // this request, so it is a 404, never a 500.
    const status = pluginStatus === 403 ? 404 : pluginStatus;
    const kind = KIND_BY_STATUS[status] ?? 'VALIDATION';
    const detail = status === 404 ? `There is no document at ${base.instance}.` : (fastifyError.message ?? 'The request was refused.');
    return { problem: { ...PROBLEM_TYPES[kind], status, detail, code: kind, ...base }, headers: {} };
  }
  if (isIllegalStatusTransition(error)) {
    // Postgres refused a status change the status machine does not allow: another writer
    // (a worker, another request) changed the task first. A lost race, not a crash.
    logger.warn(`status write refused on ${request.method} ${base.instance}: ${(error as Error).message}`, { ...requestFields(request), err: error });
    return {
      problem: {
        ...PROBLEM_TYPES.CONFLICT,
        detail:
          'The task changed status while this request was being handled; nothing was written. Read the task again and retry if the request still applies.',
        code: 'TASK_STATUS_CHANGED',
        ...base,
      },
      headers: {},
    };
  }
  if (isDatabaseUnavailable(error)) {
    logger.warn(`database unavailable: ${(error as Error).message}`, { ...requestFields(request), err: error });
    return {
      problem: {
        ...PROBLEM_TYPES.UNAVAILABLE,
        detail: 'The database is not reachable right now; nothing was written. Try again shortly.',
        code: 'DATABASE_UNAVAILABLE',
        ...base,
      },
      headers: { 'retry-after': '5' },
    };
  }
  logger.error(`unexpected error on ${request.method} ${base.instance}: ${(error as Error)?.message ?? String(error)}`, {
    ...requestFields(request),
    err: error,
  });
  return {
    problem: {
      ...PROBLEM_TYPES.INTERNAL,
      detail: 'Something went wrong on our side. Quote the request id when you report it.',
      code: 'INTERNAL_ERROR',
      ...base,
    },
    headers: {},
  };
}

function fromFastifyError(status: number, code: string, message: string, base: { instance: string; requestId: string }): ProblemDocument {
  switch (code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { ...PROBLEM_TYPES.UNSUPPORTED_MEDIA_TYPE, detail: 'Send the body as application/json.', code: 'UNSUPPORTED_MEDIA_TYPE', ...base };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { ...PROBLEM_TYPES.PAYLOAD_TOO_LARGE, detail: 'The request body is larger than this server accepts.', code: 'PAYLOAD_TOO_LARGE', ...base };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { ...PROBLEM_TYPES.MALFORMED_BODY, detail: 'The body is empty; send a JSON object.', code: 'MALFORMED_BODY', ...base };
    case 'FST_ERR_BAD_URL':
      return { ...PROBLEM_TYPES.MALFORMED_REQUEST, detail: 'The path has a percent-escape that is not valid UTF-8.', code: 'BAD_URL', ...base };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return { ...PROBLEM_TYPES.URI_TOO_LONG, detail: 'A path segment is longer than any id this API serves.', code: 'URI_TOO_LONG', ...base };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { ...PROBLEM_TYPES.MALFORMED_BODY, detail: 'The body is not valid JSON.', code: 'MALFORMED_BODY', ...base };
    default: {
      const kind = KIND_BY_STATUS[status] ?? 'VALIDATION';
      return { ...PROBLEM_TYPES[kind], status, detail: message, code: kind, ...base };
    }
  }
}

export function sendProblem(reply: FastifyReply, problem: ProblemDocument, headers: Record<string, string> = {}): void {
  void reply.status(problem.status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(problem);
}

/** Every exception thrown inside Nest's pipeline becomes a problem document. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(private readonly routes?: RouteTable) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const path = requestPath(request.url);
    // Nest answers an unknown method on a known path with 404; say 405 and what is allowed.
    const allowed = error instanceof NotFoundException && !(error instanceof ApiError) ? (this.routes?.methodsFor(path) ?? []) : [];
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      sendProblem(
        reply,
        {
          ...PROBLEM_TYPES.METHOD_NOT_ALLOWED,
          detail: `${request.method} is not served on ${path}; use ${allowed.join(', ')}`,
          code: 'METHOD_NOT_ALLOWED',
          instance: path,
          requestId: String(request.id),
        },
        { allow: allowed.join(', ') },
      );
      return;
    }
    const { problem, headers } = toProblem(error, request);
    sendProblem(reply, problem, headers);
  }
}

/** What a line about a request carries: never its body, query string or headers. */
function requestFields(request: FastifyRequest): Record<string, unknown> {
  return { method: request.method, route: request.routeOptions?.url, requestId: request.id, correlationId: request.id };
}

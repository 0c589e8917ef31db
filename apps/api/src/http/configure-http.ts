import { randomUUID } from 'node:crypto';
import { ValidationPipe } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { flattenValidationErrors } from '#tasks';
import { ApiError } from '../problems/api-error.js';
import { ProblemFilter, sendProblem, toProblem } from '../problems/problem.filter.js';
import { CorrelationInterceptor } from './correlation.interceptor.js';

export const API_PREFIX = 'api/v1';
/** A client's X-Request-ID is kept when it is short and printable; otherwise we make one. */
const REQUEST_ID_PATTERN = /^[\x21-\x7e]{1,200}$/;

/** Fastify options of the API: request ids from `X-Request-ID`, the body limit. */
export function apiFastifyOptions(bodyLimit = 1_048_576) {
  return {
    bodyLimit,
    requestIdHeader: false as const,
    genReqId: (request: { headers: Record<string, string | string[] | undefined> }) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
    },
    // Our own logger writes one line per event; Fastify's request log would double it.
    logger: false,
  };
}

/**
 * Pipes, filters and hooks of the API: every error, whether Nest or Fastify raised it, leaves
 * as `application/problem+json`, and every response carries `X-Request-ID`.
 */
export function configureHttp(app: NestFastifyApplication): void {
  app.setGlobalPrefix(API_PREFIX, { exclude: ['health', 'ready', 'metrics'] });
  app.useGlobalFilters(new ProblemFilter());
  app.useGlobalInterceptors(new CorrelationInterceptor());
  app.useGlobalPipes(
    new ValidationPipe({
      transform: true,
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => ApiError.validation(flattenValidationErrors(errors)),
    }),
  );
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // Fastify would parse text/plain too; the API speaks JSON only.
    if (hasBody(request) && !isJson(request.headers['content-type'])) {
      throw new ApiError('UNSUPPORTED_MEDIA_TYPE', 'UNSUPPORTED_MEDIA_TYPE', `Send the body as application/json (got ${request.headers['content-type'] ?? 'no content type'}).`);
    }
  });
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined;
}

function isJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0].trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

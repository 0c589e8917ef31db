import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppConfig, TrustedProxies } from '#config';
import { ApiError } from '../problems/api-error.js';
import { ProblemFilter } from '../problems/problem.filter.js';
import { API_PREFIX } from './api-prefix.js';
import { CorrelationInterceptor } from './correlation.interceptor.js';
import './health-docs.js';
import { serveDashboard } from './dashboard.js';
import { clientErrorHandler, frameworkErrors, refuseConnect } from './edge-errors.js';
import { RouteTable } from './route-table.js';
import { HELMET_OPTIONS, securityHeaders } from './security-headers.js';
import { recordHttpMetrics } from './http-metrics.js';
import { createValidationPipe } from './validation.js';

export { API_PREFIX };

/** Probes and scrapes: one every few seconds from each prober, so their access lines are at debug. */
const PROBE_ROUTES = new Set(['/health', '/ready', '/metrics']);

/** A client's X-Request-ID is kept when it is short and printable; otherwise we make one. */
const REQUEST_ID_PATTERN = /^[\x21-\x7e]{1,200}$/;

/**
 * Fastify options of the API: request ids from `X-Request-ID`, the body limit, and whose
 * X-Forwarded-For decides `request.ip` (the rate limit's client address): nobody's by default,
 * so a client cannot pick its own address; with TRUSTED_PROXIES, only the listed proxies'
 * (Fastify reads the header with proxy-addr).
 */
export function apiFastifyOptions(config: AppConfig) {
  return {
    bodyLimit: config.api.bodyLimitBytes,
    trustProxy: trustProxyOf(config.api.trustedProxies),
    requestIdHeader: false as const,
    genReqId: (request: { headers: Record<string, string | string[] | undefined> }) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
    },
    // Our own logger writes one line per event; Fastify's request log would double it.
    logger: false,
    // Fastify types these for HTTP/2 as well; the API serves HTTP/1.1 only.
    frameworkErrors: frameworkErrors as never,
    clientErrorHandler,
  };
}

/**
 * Everything around the routes: security headers, CORS, the RFC 9457 problem filter, the
 * validation pipe, request ids, the request-duration metric, the access log, 415 for bodies that
 * are not JSON, the OpenAPI document at /docs and /docs-json, and the web dashboard at
 * /dashboard. Call before the app is initialised.
 *
 * `serveDocs: false` builds the document without serving Swagger UI or the dashboard, whose
 * static files come through @fastify/static, which Jest's module loader cannot load next to
 * ESM-only Nest; the integration suites use it in-process and check /docs and /dashboard on the
 * real process.
 */
export async function configureHttp(
  app: NestFastifyApplication,
  config: AppConfig,
  options: { serveDocs?: boolean } = {},
): Promise<{ routes: RouteTable; document: OpenAPIObject }> {
  const routes = new RouteTable();
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRoute', (route) => routes.add(route.method, route.url));

  // helmet's headers on every answer, computed once (see securityHeaders).
  const headers = securityHeaders(HELMET_OPTIONS);
  fastify.addHook('onRequest', (_request, reply, done) => {
    for (const [name, value] of headers) reply.raw.setHeader(name, value);
    done();
  });
  if (config.api.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.api.corsOrigins.includes('*') ? true : config.api.corsOrigins,
      exposedHeaders: ['X-Request-ID', 'Location', 'Idempotent-Replayed', 'Retry-After'],
    });
  }

  recordHttpMetrics(app);
  logAccess(fastify);

  app.setGlobalPrefix(API_PREFIX, { exclude: ['health', 'ready', 'metrics'] });
  app.useGlobalFilters(new ProblemFilter(routes));
  app.useGlobalInterceptors(new CorrelationInterceptor());
  app.useGlobalPipes(createValidationPipe());
  // Node's HTTP server drops a CONNECT request's connection without a word when nothing listens
  // for it. This API is no proxy: say so, as a problem like any other refusal.
  fastify.server.on('connect', (_request, socket) => refuseConnect(socket));
  fastify.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // Fastify would parse text/plain too; the API speaks JSON only.
    if (hasBody(request) && !isJson(request.headers['content-type'])) {
      throw new ApiError(
        'UNSUPPORTED_MEDIA_TYPE',
        'UNSUPPORTED_MEDIA_TYPE',
        `Send the body as application/json (got ${request.headers['content-type'] ?? 'no content type'}).`,
      );
    }
  });

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Task service')
      .setDescription(
        'Tasks over REST, written with an outbox in one transaction and run by prioritized workers. ' +
          'Every error is RFC 9457 application/problem+json. ' +
          'When API_KEYS is set, every route but /health, /ready, /metrics and /docs needs "Authorization: Bearer <key>".',
      )
      .setVersion('1')
      // Relative: the host that serves this document (paths carry /api/v1 themselves).
      .addServer('/', 'The host that serves this document')
      .addBearerAuth()
      .build(),
  );
  if (options.serveDocs !== false) {
    SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
    await serveDashboard(app);
  }
  return { routes, document };
}

/**
 * One access line per answered request, at info (debug for /health, /ready, /metrics): method,
 * route pattern (`/api/v1/tasks/:id`, never the path with its ids or query string), status,
 * duration and request id. Never a body, a header or a query string, where keys and secrets
 * travel. LOG_LEVEL=warn silences it.
 */
function logAccess(fastify: FastifyInstance): void {
  const logger = new Logger('Access');
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? '(no route)';
    const status = reply.statusCode;
    const fields = {
      method: request.method,
      route,
      status,
      durationMs: Math.round(reply.elapsedTime * 10) / 10,
      requestId: request.id,
      correlationId: request.id,
    };
    const message = `${request.method} ${route} ${status}`;
    if (PROBE_ROUTES.has(route)) logger.debug(message, fields);
    else logger.log(message, fields);
    done();
  });
}

/**
 * TRUSTED_PROXIES as Fastify's `trustProxy`. A hop count is a function: Fastify reads a bare
 * number as "trust nothing" (a count cannot tell a proxy from a client that sends its own
 * X-Forwarded-For), so with `hops` the operator asserts every request comes through that many
 * proxies; documents/security.md says so.
 */
function trustProxyOf(proxies: TrustedProxies): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (proxies.kind === 'none') return false;
  if (proxies.kind === 'addresses') return proxies.addresses;
  return (_address, hop) => hop < proxies.hops;
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

import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { MetricsService } from '#observability';

/** Methods counted under their own name; any other counts as OTHER, so a client cannot add series. */
const KNOWN_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The `route` label of a request no route matched (a 404, or a request refused before routing). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * `http_request_duration_seconds{method,route,status_code}`: one observation per answered request,
 * in Fastify's onResponse hook, timed by Fastify from the request's arrival to the last byte
 * handed to the socket. `route` is the pattern that matched (`/api/v1/tasks/:id`), never the path
 * a client sent, so ids and probes of unknown paths add no series.
 */
export function recordHttpMetrics(app: NestFastifyApplication): void {
  const histogram = app.get(MetricsService).httpRequestDuration;
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onResponse', (request, reply, done) => {
      histogram.observe(
        {
          method: KNOWN_METHODS.has(request.method) ? request.method : 'OTHER',
          route: request.routeOptions.url ?? UNMATCHED_ROUTE,
          status_code: String(reply.statusCode),
        },
        reply.elapsedTime / 1000,
      );
      done();
    });
}

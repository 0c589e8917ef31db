import { Controller, Get, Header, HttpCode, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PublicRoute } from '../http/public-route.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { HEALTH_INDICATORS, type HealthIndicator } from './health-indicator.js';

/**
 * `/health`, `/ready` and `/metrics`, served by every app on its own port (the api on API_PORT,
 * relay and worker on HEALTH_CHECK_PORT). Public (no API key, no rate limit): probes and
 * scrapers carry no key, and nothing here reads or writes a task (metrics are counts by type
 * and status).
 */
/**
 * In the OpenAPI document: `security: []` says in the document's own terms that these routes
 * need no key, where a missing `security` would leave a reader (and a linter) guessing.
 */
const PUBLIC = { security: [] };

const READY_SCHEMA = {
  type: 'object' as const,
  properties: {
    status: { type: 'string' as const, enum: ['ready', 'unavailable'] },
    checks: { type: 'object' as const, additionalProperties: { type: 'string' as const, enum: ['up', 'down'] }, example: { postgres: 'up', rabbitmq: 'up' } },
    failed: { type: 'array' as const, items: { type: 'string' as const }, example: ['rabbitmq'] },
    detail: { type: 'string' as const },
  },
  required: ['status', 'checks'],
};

@PublicRoute()
@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    @Inject(HEALTH_INDICATORS) private readonly indicators: HealthIndicator[],
    private readonly metrics: MetricsService,
  ) {}

  /** The process is alive. */
  @Get('health')
  @HttpCode(200)
  @ApiOperation({ summary: 'The process is alive', description: 'Public: no API key, no rate limit.', ...PUBLIC })
  @ApiResponse({
    status: 200,
    description: 'Alive.',
    schema: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } }, required: ['status'] },
  })
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Every registered indicator is up: 200; otherwise 503 naming what failed and why. */
  @Get('ready')
  @ApiOperation({ summary: 'Its Postgres and RabbitMQ connections work', description: 'Public: no API key, no rate limit.', ...PUBLIC })
  @ApiResponse({ status: 200, description: 'Ready.', schema: READY_SCHEMA })
  @ApiResponse({ status: 503, description: 'Not ready: `failed` names what is unreachable and `detail` says why.', schema: READY_SCHEMA })
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const results = await Promise.all(
      this.indicators.map(async (indicator) => ({
        name: indicator.name,
        ...(await indicator.check().catch((error: Error) => ({ up: false, problem: error.message }))),
      })),
    );
    const checks = Object.fromEntries(results.map((r) => [r.name, r.up ? 'up' : 'down']));
    const failed = results.filter((r) => !r.up);
    if (failed.length > 0) {
      reply.status(503);
      const why = failed.map((r) => (r.problem ? ` (${r.name}: ${r.problem})` : '')).join('');
      return {
        status: 'unavailable',
        failed: failed.map((r) => r.name),
        checks,
        detail: `not ready: ${failed.map((r) => r.name).join(' and ')} unreachable${why}`,
      };
    }
    return { status: 'ready', checks };
  }

  @Get('metrics')
  @ApiOperation({ summary: 'Prometheus metrics', description: 'Public: no API key, no rate limit.', ...PUBLIC })
  @ApiProduces('text/plain')
  @ApiResponse({ status: 200, description: 'Prometheus text format 0.0.4.', content: { 'text/plain': { schema: { type: 'string' } } } })
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async metricsText(): Promise<string> {
    return this.metrics.render();
  }
}

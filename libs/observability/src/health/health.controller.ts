import { Controller, Get, Header, HttpCode, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { PublicRoute } from '../http/public-route.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ReadinessProbe } from './readiness-probe.js';

/**
 * `/health`, `/ready` and `/metrics`, served by every app on its own port (the api on API_PORT,
 * relay and worker on HEALTH_CHECK_PORT). Public (no API key, no rate limit): probes and
 * scrapers carry no key, and nothing here reads or writes a task (metrics are counts by type
 * and status).
 */
@PublicRoute()
@Controller()
export class HealthController {
  constructor(
    private readonly readiness: ReadinessProbe,
    private readonly metrics: MetricsService,
  ) {}

  /** The process is alive. */
  @Get('health')
  @HttpCode(200)
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Every registered indicator is up: 200; otherwise 503 naming what failed and why. The answer
   * may be up to a second old (see {@link ReadinessProbe}).
   */
  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const { results } = await this.readiness.check();
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
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async metricsText(): Promise<string> {
    return this.metrics.render();
  }
}

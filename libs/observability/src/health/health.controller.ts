import { Controller, Get, Header, HttpCode, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DatabaseService } from '#database';
import { AmqpConnectionService } from '#messaging';
import { PublicRoute } from '../http/public-route.js';
import { MetricsService } from '../metrics/metrics.service.js';

/**
 * `/health`, `/ready` and `/metrics`, served by every app. Public: probes and scrapers carry no
 * API key, and nothing here reads or writes a task (metrics are counts by type and status).
 */
@PublicRoute()
@Controller()
export class HealthController {
  constructor(
    private readonly database: DatabaseService,
    private readonly amqp: AmqpConnectionService,
    private readonly metrics: MetricsService,
  ) {}

  /** The process is alive. */
  @Get('health')
  @HttpCode(200)
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Postgres and RabbitMQ both answer: 200; otherwise 503 naming what failed. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const postgres = (await this.database.ping()) ? 'up' : 'down';
    const rabbitmq = this.amqp.isConnected() ? 'up' : 'down';
    const failed = [postgres === 'down' ? 'postgres' : null, rabbitmq === 'down' ? 'rabbitmq' : null].filter(Boolean);
    if (failed.length > 0) {
      reply.status(503);
      const why = rabbitmq === 'down' ? ` (rabbitmq: ${this.amqp.describeProblem()})` : '';
      return { status: 'unavailable', failed, checks: { postgres, rabbitmq }, detail: `not ready: ${failed.join(' and ')} unreachable${why}` };
    }
    return { status: 'ready', checks: { postgres, rabbitmq } };
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async metricsText(): Promise<string> {
    return this.metrics.render();
  }
}

import { type DynamicModule, type ExecutionContext, Injectable, type Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '#config';
import { API_PREFIX } from '../http/api-prefix.js';

/**
 * The rate limit of `/api/v1` (RATE_LIMIT_MAX requests per RATE_LIMIT_WINDOW_SECONDS per client
 * IP), with @nestjs/throttler. Health checks and metrics scrapes are never throttled.
 *
 * @nestjs/throttler ships CommonJS only and requires the ESM-only @nestjs/common 12: Node 20.19+
 * loads that (require of ESM), Jest's module loader on Node 20 does not. So it is imported only
 * when a limit is configured, and its tests run against the API as a real process.
 */
export async function rateLimit(config: AppConfig): Promise<{ imports: DynamicModule[]; providers: Provider[] }> {
  const { max, windowSeconds } = config.api.rateLimit;
  if (max === 0) return { imports: [], providers: [] };
  const { ThrottlerGuard, ThrottlerModule } = await import('@nestjs/throttler');

  @Injectable()
  class ApiThrottlerGuard extends ThrottlerGuard {
    protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
      const request = context.switchToHttp().getRequest<FastifyRequest>();
      return !request.url.startsWith(`/${API_PREFIX}/`);
    }
  }

  return {
    imports: [ThrottlerModule.forRoot({ throttlers: [{ ttl: windowSeconds * 1000, limit: max }] })],
    providers: [{ provide: APP_GUARD, useClass: ApiThrottlerGuard }],
  };
}

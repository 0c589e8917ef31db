import { type DynamicModule, type ExecutionContext, Injectable, type Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { AppConfig } from '#config';
import { isPublicRoute } from '#observability';

/**
 * The rate limit (RATE_LIMIT_MAX requests per RATE_LIMIT_WINDOW_SECONDS per client address), with
 * @nestjs/throttler, on every route but those marked `@PublicRoute()` (health checks and metrics
 * scrapes): decided on the route that matched, like the API key. The client address is
 * Fastify's `request.ip`: the socket's peer, or the X-Forwarded-For entry TRUSTED_PROXIES
 * allows (see apiFastifyOptions).
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
      return isPublicRoute(this.reflector, context);
    }

    // One budget per client across every route (the library's default keeps one per route,
    // which would let a client guessing keys spend RATE_LIMIT_MAX on each route in turn).
    protected override generateKey(_context: ExecutionContext, tracker: string, name: string): string {
      return `${name}:${tracker}`;
    }
  }

  return {
    imports: [ThrottlerModule.forRoot({ throttlers: [{ ttl: windowSeconds * 1000, limit: max }] })],
    providers: [{ provide: APP_GUARD, useClass: ApiThrottlerGuard }],
  };
}

import { createHash, timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '#config';
import { isPublicRoute } from '#observability';
import { ApiError } from '../problems/api-error.js';

/** Where the guard leaves the digest of the key a request was let in with. */
const KEY_DIGEST = Symbol('api-key-digest');

/** Methods a read-only key (API_READ_ONLY_KEYS) may use: anything else writes. */
const READ_METHODS = new Set(['GET', 'HEAD']);

/**
 * With API_KEYS or API_READ_ONLY_KEYS set, every route needs `Authorization: Bearer <key>` unless its handler is marked
 * `@PublicRoute()` (`/health`, `/ready`, `/metrics`): deny by default, decided on the route that
 * matched, so the spelling of the request target (`GET http://any/api/v1/tasks`, `/%61pi/v1/…`)
 * cannot change the answer. Keys are compared as SHA-256 digests with timingSafeEqual, against
 * every key, so the time taken says nothing about which key or how much of it matched. Keys are
 * never logged. A read-only key is let in on GET and HEAD only and gets 403 on any other method:
 * deny by default again, so a write route added later is closed to it without a decorator.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly digests: { digest: Buffer; readOnly: boolean }[];

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly reflector: Reflector,
  ) {
    this.digests = [
      ...config.api.keys.map((key) => ({ digest: digest(key), readOnly: false })),
      ...config.api.readOnlyKeys.map((key) => ({ digest: digest(key), readOnly: true })),
    ];
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.digests.length === 0 || isPublicRoute(this.reflector, context)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { [KEY_DIGEST]?: string }>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (match) {
      const given = digest(match[1]);
      let found: { readOnly: boolean } | undefined;
      for (const known of this.digests) if (timingSafeEqual(given, known.digest)) found ??= known;
      if (found?.readOnly && !READ_METHODS.has(request.method)) {
        throw new ApiError('FORBIDDEN', 'API_KEY_READ_ONLY', 'This API key is read-only (API_READ_ONLY_KEYS): it may only read, not change anything.');
      }
      if (found) {
        request[KEY_DIGEST] = given.toString('hex');
        return true;
      }
    }
    throw new ApiError('UNAUTHORIZED', 'UNAUTHORIZED', match ? 'The API key is not valid.' : 'Send an API key as "Authorization: Bearer <key>".', undefined, {
      'www-authenticate': 'Bearer',
    });
  }
}

/**
 * The SHA-256 digest (hex) of the API key the request was let in with, or null when API_KEYS is
 * empty. Idempotency keys are scoped by it: the key itself is never stored.
 */
export function apiKeyDigestOf(request: FastifyRequest): string | null {
  return (request as FastifyRequest & { [KEY_DIGEST]?: string })[KEY_DIGEST] ?? null;
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

import { createHash, timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '#config';
import { API_PREFIX } from '../http/api-prefix.js';
import { ApiError } from '../problems/api-error.js';

/**
 * With API_KEYS set, every `/api/v1` route needs `Authorization: Bearer <key>`. Keys are
 * compared as SHA-256 digests with timingSafeEqual, against every key, so the time taken says
 * nothing about which key or how much of it matched. Keys are never logged.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly digests: Buffer[];

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.digests = config.api.keys.map(digest);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.digests.length === 0) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (!request.url.startsWith(`/${API_PREFIX}/`) && request.url !== `/${API_PREFIX}`) return true;
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (match) {
      const given = digest(match[1]);
      let ok = false;
      for (const known of this.digests) ok = timingSafeEqual(given, known) || ok;
      if (ok) return true;
    }
    throw new ApiError('UNAUTHORIZED', 'UNAUTHORIZED', match ? 'The API key is not valid.' : 'Send an API key as "Authorization: Bearer <key>".', undefined, {
      'www-authenticate': 'Bearer',
    });
  }
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

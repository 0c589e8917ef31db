import { type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';

const PUBLIC_ROUTE = 'task-service:public-route';

/**
 * Marks a controller or handler as public: it needs no API key and is not rate-limited. Every
 * other route is guarded. The guards read this mark from the handler that matched, never from
 * the request target, so no spelling of a URL (absolute-form, `%61pi`, `//`) can change
 * which rule applies.
 */
export const PublicRoute = (): ClassDecorator & MethodDecorator => SetMetadata(PUBLIC_ROUTE, true);

/** True when the handler about to run, or its controller, is marked {@link PublicRoute}. */
export function isPublicRoute(reflector: Reflector, context: ExecutionContext): boolean {
  return reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE, [context.getHandler(), context.getClass()]) === true;
}

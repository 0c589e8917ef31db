import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Observable } from 'rxjs';
import { withCorrelationId } from '#observability';

/** Runs each request's handler with its request id as the correlation id of every log line. */
export class CorrelationInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    return new Observable((subscriber) => withCorrelationId(String(request.id), () => next.handle().subscribe(subscriber)));
  }
}

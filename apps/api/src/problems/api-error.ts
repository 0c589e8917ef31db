import type { FieldError } from '#tasks';
import { PROBLEM_TYPES, type ProblemKind } from './problem.js';

/**
 * The API's typed errors: each has a problem kind (its RFC 9457 type, title and status) and a
 * code. The problem filter turns them into `application/problem+json`; anything else is a
 * logged 500 that leaks nothing.
 */
export class ApiError extends Error {
  constructor(
    readonly kind: ProblemKind,
    readonly code: string,
    readonly detail: string,
    readonly errors?: FieldError[],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'ApiError';
  }

  get status(): number {
    return PROBLEM_TYPES[this.kind].status;
  }

  static validation(errors: FieldError[], detail?: string): ApiError {
    const summary = detail ?? `${errors.length} ${errors.length === 1 ? 'field is' : 'fields are'} not valid: ${errors.map((e) => e.field).join(', ')}`;
    return new ApiError('VALIDATION', 'VALIDATION_FAILED', summary, errors);
  }

  static notFound(detail: string): ApiError {
    return new ApiError('NOT_FOUND', 'NOT_FOUND', detail);
  }

  static conflict(code: string, detail: string): ApiError {
    return new ApiError('CONFLICT', code, detail);
  }
}

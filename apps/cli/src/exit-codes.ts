import { ForbiddenProblem, NotFoundProblem, TaskServiceProblem, UnauthorizedProblem } from '#client';
import { TaskServiceUnreachableError } from './connection.js';

/**
 * The command line's exit codes, which scripts can rely on (documents/cli.md lists them).
 * A local command (`worker`, `migrate`) exits with its app's own code.
 */
export const EXIT = {
  OK: 0,
  /** The API refused the request (a 4xx other than below, a 409 for instance) or failed (5xx), or another error. */
  FAILURE: 1,
  /** The command line was used wrongly: unknown command or option, a bad value, a bad TASK_SERVICE_* variable. */
  USAGE: 2,
  /** What was named does not exist (the API answered 404). */
  NOT_FOUND: 3,
  /** The API could not be reached (refused, unknown host, no answer in time). */
  UNREACHABLE: 4,
  /** The API key is missing or wrong (401), or may not do this (403, a read-only key). */
  UNAUTHORIZED: 5,
} as const;

/** A wrong use of the command line, found before any request: exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The exit code for an error a command ended with. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) return EXIT.USAGE;
  if (error instanceof TaskServiceUnreachableError) return EXIT.UNREACHABLE;
  if (error instanceof NotFoundProblem) return EXIT.NOT_FOUND;
  if (error instanceof UnauthorizedProblem || error instanceof ForbiddenProblem) return EXIT.UNAUTHORIZED;
  return EXIT.FAILURE;
}

/** One readable line (or a few) for an error, for stderr. */
export function describeError(error: unknown): string {
  if (error instanceof TaskServiceUnreachableError) {
    return `error: ${error.message}. Is the api running? Set TASK_SERVICE_URL (or --url) to where it listens.`;
  }
  if (error instanceof TaskServiceProblem) {
    const fields = error.errors.map((e) => `\n  - ${e.field}: ${e.message}`).join('');
    return `error: ${error.status} ${error.code ?? `HTTP_${error.status}`}: ${error.detail}${fields}`;
  }
  if (error instanceof Error) return `error: ${error.message}`;
  return `error: ${String(error)}`;
}

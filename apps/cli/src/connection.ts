/** The API could not be reached at all (refused, unknown host, no answer in time). */
export class TaskServiceUnreachableError extends Error {
  constructor(
    readonly baseUrl: string,
    readonly reason: string,
  ) {
    super(`cannot reach the task service API at ${baseUrl} (${reason})`);
    this.name = 'TaskServiceUnreachableError';
  }
}

/** How long the command line waits for an answer to one request (documents/cli.md, exit code 4). */
export const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The fetch the command line gives the typed client: each request gives up after `timeoutMs`,
 * and a request that gets no answer (refused, unknown host, the time-out) rejects with a
 * {@link TaskServiceUnreachableError} naming `baseUrl` and the low-level reason, never a header
 * (the API key travels only in Authorization). An answer, even a 5xx, is the client's to read.
 */
export function connectionFetch(baseUrl: string, inner: typeof fetch = globalThis.fetch, timeoutMs = REQUEST_TIMEOUT_MS): typeof fetch {
  const where = baseUrl.replace(/\/+$/, '');
  return async (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    try {
      return await inner(input, { ...init, signal });
    } catch (error) {
      throw new TaskServiceUnreachableError(where, reasonOf(error));
    }
  };
}

/** The low-level reason of a failed fetch (ECONNREFUSED, ENOTFOUND, a time-out), never a header. */
function reasonOf(error: unknown): string {
  // By name, not instanceof Error: the abort reason is a DOMException, of another realm in a test's VM.
  const { name, cause } = (error ?? {}) as { name?: unknown; cause?: { code?: unknown; message?: unknown } };
  if (name === 'TimeoutError' || name === 'AbortError') return 'no answer in time';
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What every log line written while handling one request or one task carries: the request's
 * `X-Request-ID` (the task's `correlationId`), and for a task its id, type and attempt. A log
 * shipper can then filter one request's or one task's whole life across api, relay and worker.
 */
export interface LogContext {
  correlationId?: string;
  taskId?: string;
  type?: string;
  attempt?: number;
}

const store = new AsyncLocalStorage<LogContext>();

/**
 * Runs `fn` with `fields` added to every log line written inside it, including in the promises
 * and callbacks it starts. Nested calls add to (and override) the fields of the enclosing one.
 */
export function withLogContext<T>(fields: LogContext, fn: () => T): T {
  const outer = store.getStore();
  return store.run(outer ? { ...outer, ...fields } : fields, fn);
}

/** Runs `fn` with `correlationId` attached to every log line written inside it. */
export function withCorrelationId<T>(correlationId: string, fn: () => T): T {
  return withLogContext({ correlationId }, fn);
}

/** The fields of the request or task being handled, if any. */
export function currentLogContext(): LogContext | undefined {
  return store.getStore();
}

export function currentCorrelationId(): string | undefined {
  return store.getStore()?.correlationId;
}

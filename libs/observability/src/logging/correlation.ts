import { AsyncLocalStorage } from 'node:async_hooks';

const store = new AsyncLocalStorage<{ correlationId: string }>();

/** Runs `fn` with `correlationId` attached to every log line written inside it. */
export function withCorrelationId<T>(correlationId: string, fn: () => T): T {
  return store.run({ correlationId }, fn);
}

export function currentCorrelationId(): string | undefined {
  return store.getStore()?.correlationId;
}

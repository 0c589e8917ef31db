import { FailHandler } from './fail.handler.js';
import { HttpRequestHandler } from './http-request.handler.js';
import { NoopHandler } from './noop.handler.js';
import { SleepHandler } from './sleep.handler.js';

export * from './noop.handler.js';
export * from './sleep.handler.js';
export * from './fail.handler.js';
export * from './http-request.handler.js';

/** The handlers registered by default: `noop`, `sleep`, `fail` and `http.request` (README, "Task types"). */
export const BUILTIN_TASK_HANDLERS = [NoopHandler, SleepHandler, FailHandler, HttpRequestHandler];
export { type HostResolver, RefusedAddressError, systemResolver } from './http/guarded-lookup.js';

/**
 * The plain part of libs/tasks: statuses, the status machine, priorities and patterns, retry
 * delays and per-type policies, storable text, queue and event routing. Nothing here loads class-validator or the built-in handlers, so the
 * libraries below the apps (messaging, database) and the relay's services import this entry,
 * `#tasks/core`. (The relay's module loads the handler list once, for the policies' delay steps and the queue groups.)
 */
export * from './task-patterns.js';
export * from './status/task-status.js';
export * from './status/task-status-machine.js';
export * from './retry/retry-delay.js';
export * from './storable-text.js';
export * from './policy/task-policy.js';
export * from './routing/task-routing.js';

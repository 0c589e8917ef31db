/**
 * The plain part of libs/tasks: statuses, the status machine, priorities and patterns, retry
 * delays, storable text, queue and event routing. Nothing here loads class-validator or the built-in handlers, so the
 * libraries below the apps (messaging, database) and the relay import this entry, `#tasks/core`,
 * and an app that runs no handler never loads them.
 */
export * from './task-patterns.js';
export * from './status/task-status.js';
export * from './status/task-status-machine.js';
export * from './retry/retry-delay.js';
export * from './storable-text.js';
export * from './routing/task-routing.js';

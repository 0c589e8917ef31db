import { BUILTIN_TASK_HANDLERS } from './builtin/index.js';
import type { TaskHandlerClass } from './registry/task-registry.js';

/**
 * Every task handler of this deployment. To add a task type, write a payload class and a
 * handler class marked with `@TaskHandler`, and list the handler here: the API validates
 * its payload and the worker runs it, with nothing else to change.
 */
export const TASK_HANDLERS: TaskHandlerClass[] = [...BUILTIN_TASK_HANDLERS];

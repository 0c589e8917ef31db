/** Why a handler's AbortSignal fired. */
export class TaskTimeoutError extends Error {
  readonly code = 'TASK_TIMEOUT';
  constructor(seconds: number) {
    super(`timed out after ${seconds} s (TASK_TIMEOUT_SECONDS)`);
    this.name = 'TaskTimeoutError';
  }
}

/** The worker is shutting down past its deadline: the attempt is handed back, not failed. */
export class WorkerShutdownError extends Error {
  readonly code = 'WORKER_SHUTDOWN';
  constructor() {
    super('the worker shut down before the handler finished');
    this.name = 'WorkerShutdownError';
  }
}

/** A user cancelled the running task (DELETE /tasks/{id}): the task ends CANCELLED. */
export class TaskCancelledError extends Error {
  readonly code = 'TASK_CANCELLED';
  constructor() {
    super('cancelled while running');
    this.name = 'TaskCancelledError';
  }
}

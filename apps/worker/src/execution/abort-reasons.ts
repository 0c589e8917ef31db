/** Why a handler's AbortSignal fired. */
export class TaskTimeoutError extends Error {
  readonly code = 'TASK_TIMEOUT';
  /** `source` names the setting that gave the limit: TASK_TIMEOUT_SECONDS, or the type's own timeoutSeconds. */
  constructor(seconds: number, source = 'TASK_TIMEOUT_SECONDS') {
    super(`timed out after ${seconds} s (${source})`);
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

/**
 * The attempt's lease is gone: the heartbeat found it taken over or released, or could not
 * renew it in time. Another worker may run the task, so this handler stops and writes nothing.
 */
export class LeaseLostError extends Error {
  readonly code = 'LEASE_LOST';
  constructor(why: string) {
    super(`lost the lease: ${why}`);
    this.name = 'LeaseLostError';
  }
}

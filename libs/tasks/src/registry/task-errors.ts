/**
 * Thrown by a handler when trying again cannot help (bad input, a 4xx from a called
 * service): the task goes straight to FAILED with a copy in `tasks.dlq`.
 */
export class PermanentTaskError extends Error {
  readonly code: string = 'TASK_PERMANENT_FAILURE';
  constructor(message: string) {
    super(message);
    this.name = 'PermanentTaskError';
  }
}

/** Thrown when an attempt may succeed later; any other error is treated the same way. */
export class TransientTaskError extends Error {
  readonly code: string = 'TASK_TRANSIENT_FAILURE';
  constructor(message: string) {
    super(message);
    this.name = 'TransientTaskError';
  }
}

/** The payload of a task did not pass its type's validation when the worker read it. */
export class InvalidPayloadError extends PermanentTaskError {
  override readonly code = 'TASK_INVALID_PAYLOAD';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidPayloadError';
  }
}

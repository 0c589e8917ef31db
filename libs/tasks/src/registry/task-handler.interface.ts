/** What a handler is given for one attempt. */
export interface TaskContext {
  taskId: string;
  type: string;
  /** 1 for the first try. */
  attempt: number;
  maxAttempts: number;
  correlationId: string;
  /** Fires when the task is cancelled, times out, or the worker shuts down past its deadline. */
  signal: AbortSignal;
  /** Records progress (0–100), visible at `GET /api/v1/tasks/{id}/status`. */
  reportProgress(percent: number): Promise<void>;
}

/** A task handler: one class per task type, marked with {@link TaskHandler}. */
export interface TaskHandlerContract<P extends object = object, R = unknown> {
  run(payload: P, context: TaskContext): Promise<R>;
}

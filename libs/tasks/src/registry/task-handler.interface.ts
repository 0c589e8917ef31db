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

/** What a hook is given: the task, the attempt that ended, and the status that was committed. */
export interface TaskHookContext {
  taskId: string;
  type: string;
  attempt: number;
  maxAttempts: number;
  correlationId: string;
  /** The status the attempt's outcome wrote: COMPLETED for onSuccess; RETRYING, FAILED or CANCELLED for onError. */
  status: 'COMPLETED' | 'RETRYING' | 'FAILED' | 'CANCELLED';
  /** Fires when the hook has run for the type's timeoutSeconds: the worker stops waiting for it then. */
  signal: AbortSignal;
}

/** The third argument of {@link TaskHandlerContract.onError}. */
export interface TaskErrorInfo {
  /** True when the task is RETRYING: another attempt follows after its delay. */
  willRetry: boolean;
}

/**
 * A task handler: one class per task type, marked with {@link TaskHandler}.
 *
 * The hooks are optional. Each runs once per outcome this worker committed, after the write that
 * recorded it committed and after the message was acknowledged; a hook that throws, rejects or
 * outlives its type's timeoutSeconds is logged and counted (`task_hook_failures_total`) and
 * changes nothing about the task. Nothing retries a hook: a worker that dies between the commit
 * and the hook skips it.
 */
export interface TaskHandlerContract<P extends object = object, R = unknown> {
  run(payload: P, context: TaskContext): Promise<R>;
  /** After COMPLETED was committed, with the result the handler returned. */
  onSuccess?(result: R, context: TaskHookContext): unknown;
  /** After RETRYING, FAILED or CANCELLED was committed, with the error that ended the attempt. */
  onError?(error: Error, context: TaskHookContext, info: TaskErrorInfo): unknown;
}

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

/** One task of a batch, as {@link BatchTaskHandlerContract.runBatch} is given it. */
export interface BatchItem<P extends object = object> {
  taskId: string;
  /** Validated against the type's payload class, as `run` would get it. */
  payload: P;
  /** 1 for the task's first try. */
  attempt: number;
  maxAttempts: number;
  correlationId: string;
  /**
   * This task's own signal: fires when this task is cancelled or its lease is lost (the other
   * items go on), and with every other item's when the batch times out or the worker shuts down
   * past its deadline. Once it fired, whatever the batch returns for this item is ignored.
   */
  signal: AbortSignal;
  /** Records this task's progress (0–100). */
  reportProgress(percent: number): Promise<void>;
}

/** What a batch run is given besides its items. */
export interface BatchContext {
  type: string;
  /**
   * Fires when the whole batch should stop: it ran for the type's timeoutSeconds, the worker shuts
   * down past its deadline, or every item's own signal fired.
   */
  signal: AbortSignal;
}

/**
 * One item's outcome, at the item's index: `ok` true completes the task with `result`; `ok` false
 * fails this attempt of the task with `error` (a retry or FAILED, by the type's policy; a
 * {@link PermanentTaskError} fails it at once) and touches no other item.
 */
export type BatchItemResult<R = unknown> = { ok: true; result: R } | { ok: false; error: unknown };

/**
 * The handler of a batch type, one that declares `batch: { size, maxWaitMs }` in
 * {@link TaskHandler}. The worker gathers claimed tasks of the type and calls `runBatch` once
 * for up to `size` of them. It returns one {@link BatchItemResult} per item, in the order of
 * `items` (an array of another length fails every item of the batch); throwing or rejecting
 * fails every item with that error. The hooks run per task, as for {@link TaskHandlerContract}.
 */
export interface BatchTaskHandlerContract<P extends object = object, R = unknown> {
  runBatch(items: readonly BatchItem<P>[], context: BatchContext): Promise<readonly BatchItemResult<R>[]>;
  onSuccess?(result: R, context: TaskHookContext): unknown;
  onError?(error: Error, context: TaskHookContext, info: TaskErrorInfo): unknown;
}

/** Either kind of handler: one that runs tasks one by one, or a batch handler. */
export type AnyTaskHandler = TaskHandlerContract | BatchTaskHandlerContract;

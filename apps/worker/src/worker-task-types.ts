import { DEFAULT_QUEUE_GROUP, groupQueues } from '#tasks/core';

/** What the check needs of a registered type. */
export interface TypeRoute {
  type: string;
  /** Absent or null: the default queues `tasks.*`. */
  queueGroup?: string | null;
}

/** The worker's WORKER_QUEUES and WORKER_TASK_TYPES do not fit the registry: it must not start. */
export class WorkerTaskTypesError extends Error {
  readonly code = 'WORKER_TASK_TYPES_INVALID';
  constructor(readonly problems: string[]) {
    super(`the worker cannot start with this WORKER_QUEUES and WORKER_TASK_TYPES:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'WorkerTaskTypesError';
  }
}

/**
 * The task types this worker registers: every type of the registry when WORKER_TASK_TYPES is
 * empty (`taskTypes` null), or the ones it names. Refuses (throws {@link WorkerTaskTypesError},
 * naming every problem) when:
 * - WORKER_TASK_TYPES names a type the registry does not have;
 * - WORKER_QUEUES names a queue of a group no type declares (a typo, or a group of another build);
 * - a queue of WORKER_QUEUES can carry a type the worker does not register: a message of that
 *   type would reach a worker that cannot run it. Each such type is named with its queues.
 */
export function selectWorkerTaskTypes(types: readonly TypeRoute[], queues: readonly string[], taskTypes: readonly string[] | null): string[] {
  const problems: string[] = [];
  const known = new Set(types.map((t) => t.type));
  const unknownTypes = (taskTypes ?? []).filter((type) => !known.has(type));
  if (unknownTypes.length > 0) {
    problems.push(`WORKER_TASK_TYPES names ${unknownTypes.join(', ')}, which no handler registers (types: ${[...known].sort().join(', ')})`);
  }

  const groups = new Set([DEFAULT_QUEUE_GROUP, ...types.flatMap((t) => (t.queueGroup ? [t.queueGroup] : []))]);
  const servable = new Set([...groups].flatMap((group) => groupQueues(group)));
  const strayQueues = queues.filter((queue) => !servable.has(queue));
  if (strayQueues.length > 0) {
    problems.push(`WORKER_QUEUES names ${strayQueues.join(', ')}, a queue of no queue group a task type declares (groups: ${[...groups].sort().join(', ')})`);
  }

  const selected = new Set(taskTypes ?? types.map((t) => t.type));
  const served = new Set(queues);
  const left = types
    .filter((t) => !selected.has(t.type))
    .map((t) => ({ type: t.type, queues: groupQueues(t.queueGroup).filter((queue) => served.has(queue)) }))
    .filter((t) => t.queues.length > 0);
  if (left.length > 0) {
    problems.push(
      `WORKER_QUEUES carries task types that WORKER_TASK_TYPES leaves out: ${left.map((t) => `${t.type} (on ${t.queues.join(', ')})`).join('; ')}. ` +
        'Add them to WORKER_TASK_TYPES, or leave their queues out of WORKER_QUEUES (give a type its own queueGroup to run it on a pool of its own)',
    );
  }

  if (problems.length > 0) throw new WorkerTaskTypesError(problems);
  return types.map((t) => t.type).filter((type) => selected.has(type));
}

/** What the batch check needs of a registered type. */
export interface TypeBatch {
  type: string;
  batch?: { size: number } | null;
}

/** A batch type's batch could never fill in this worker: it must not start. */
export class WorkerBatchSizeError extends Error {
  readonly code = 'WORKER_BATCH_SIZE_INVALID';
  constructor(readonly problems: string[]) {
    super(`the worker cannot start with this WORKER_PREFETCH:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'WorkerBatchSizeError';
  }
}

/**
 * Refuses (throws {@link WorkerBatchSizeError}) a batch type this worker runs whose `batch.size`
 * is above WORKER_PREFETCH: a batch is gathered from claimed tasks, each holding one of the
 * WORKER_PREFETCH slots while it waits, so it could never fill and every batch would wait out
 * its maxWaitMs. (A size above the type's own concurrency is refused by the registry.)
 */
export function checkBatchSizes(types: readonly TypeBatch[], prefetch: number): void {
  const problems = types
    .filter((t) => t.batch && t.batch.size > prefetch)
    .map(
      (t) =>
        `task type ${t.type} gathers batches of up to ${t.batch!.size} tasks (batch.size) but WORKER_PREFETCH is ${prefetch}: ` +
        `a batch is gathered from tasks that hold a slot each. Set WORKER_PREFETCH to at least ${t.batch!.size}, or lower batch.size`,
    );
  if (problems.length > 0) throw new WorkerBatchSizeError(problems);
}

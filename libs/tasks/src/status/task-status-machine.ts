import { TaskStatus } from './task-status.js';

/**
 * The task's status machine of contract §2, and the only place that knows it.
 * Every guarded `UPDATE ... WHERE status = ANY(...)` in libs/database takes its
 * allowed source statuses from {@link TaskStatusMachine.sourcesOf}.
 *
 * IN_PROGRESS → IN_PROGRESS is the take-over of a task whose worker stopped
 * renewing its lease: the lease ran out, or the relay's sweeper released it.
 */
const TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  [TaskStatus.NEW]: [TaskStatus.PENDING, TaskStatus.FAILED, TaskStatus.CANCELLED],
  [TaskStatus.PENDING]: [TaskStatus.IN_PROGRESS, TaskStatus.CANCELLED],
  [TaskStatus.IN_PROGRESS]: [
    TaskStatus.IN_PROGRESS,
    TaskStatus.COMPLETED,
    TaskStatus.RETRYING,
    TaskStatus.FAILED,
    TaskStatus.CANCELLED,
  ],
  [TaskStatus.RETRYING]: [TaskStatus.IN_PROGRESS, TaskStatus.CANCELLED],
  [TaskStatus.COMPLETED]: [],
  [TaskStatus.FAILED]: [TaskStatus.NEW],
  [TaskStatus.CANCELLED]: [TaskStatus.NEW],
};

export class IllegalTransitionError extends Error {
  readonly code = 'ILLEGAL_STATUS_TRANSITION';
  constructor(
    readonly from: TaskStatus,
    readonly to: TaskStatus,
  ) {
    super(`A task cannot go from ${from} to ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

export const TaskStatusMachine = {
  /** True when a task may go from `from` to `to`. */
  canTransition(from: TaskStatus, to: TaskStatus): boolean {
    return TRANSITIONS[from].includes(to);
  },

  /** Throws {@link IllegalTransitionError} unless `from → to` is legal. */
  assertTransition(from: TaskStatus, to: TaskStatus): void {
    if (!TRANSITIONS[from].includes(to)) throw new IllegalTransitionError(from, to);
  },

  /** Every status a task may be in just before it moves to `to`. */
  sourcesOf(to: TaskStatus): TaskStatus[] {
    return (Object.keys(TRANSITIONS) as TaskStatus[]).filter((from) => TRANSITIONS[from].includes(to));
  },

  /** COMPLETED, FAILED and CANCELLED: written once, left only by a user's retry. */
  isTerminal(status: TaskStatus): boolean {
    return status === TaskStatus.COMPLETED || status === TaskStatus.FAILED || status === TaskStatus.CANCELLED;
  },

  /** Statuses from which a cancel ends the task at once, because no handler runs it. */
  cancellableAtOnce(): TaskStatus[] {
    return [TaskStatus.NEW, TaskStatus.PENDING, TaskStatus.RETRYING];
  },
} as const;

import { TaskStatus } from './task-status.js';

/**
 * The task's status machine: the legal (from, to) pairs. The code asks it through
 * {@link TaskStatusMachine}; Postgres holds the same pairs in `task_status_transitions`,
 * and the trigger `tasks_status_guard` refuses any other status change (SQLSTATE TS001),
 * whichever SQL string or PL/pgSQL body writes it. Several SQL strings in libs/database
 * also name statuses in their SET and WHERE clauses; the trigger is what keeps them honest.
 * test/integration/status-machine.int-spec.ts fails when this table and the database's
 * differ: change both, the database's by a new migration.
 *
 * IN_PROGRESS → IN_PROGRESS is the take-over of a task whose worker stopped
 * renewing its lease: the lease ran out, or the relay's sweeper released it.
 */
const TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  [TaskStatus.NEW]: [TaskStatus.PENDING, TaskStatus.FAILED, TaskStatus.CANCELLED],
  [TaskStatus.PENDING]: [TaskStatus.IN_PROGRESS, TaskStatus.CANCELLED],
  [TaskStatus.IN_PROGRESS]: [TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED, TaskStatus.RETRYING, TaskStatus.FAILED, TaskStatus.CANCELLED],
  [TaskStatus.RETRYING]: [TaskStatus.IN_PROGRESS, TaskStatus.CANCELLED],
  [TaskStatus.COMPLETED]: [],
  [TaskStatus.FAILED]: [TaskStatus.NEW],
  [TaskStatus.CANCELLED]: [TaskStatus.NEW],
};

const TERMINAL: readonly TaskStatus[] = [TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED];

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

  /** Every legal (from, to) pair, in the order of the table above. */
  transitions(): [TaskStatus, TaskStatus][] {
    return (Object.keys(TRANSITIONS) as TaskStatus[]).flatMap((from) => TRANSITIONS[from].map((to): [TaskStatus, TaskStatus] => [from, to]));
  },

  /** Every status a task may be in just before it moves to `to`. */
  sourcesOf(to: TaskStatus): TaskStatus[] {
    return (Object.keys(TRANSITIONS) as TaskStatus[]).filter((from) => TRANSITIONS[from].includes(to));
  },

  /** COMPLETED, FAILED and CANCELLED: written once, left only by a user's retry. */
  isTerminal(status: TaskStatus): boolean {
    return TERMINAL.includes(status);
  },

  /** The finished statuses (see {@link isTerminal}); the retention deletes only these. */
  terminal(): TaskStatus[] {
    return [...TERMINAL];
  },

  /** Statuses from which a cancel ends the task at once, because no handler runs it. */
  cancellableAtOnce(): TaskStatus[] {
    return [TaskStatus.NEW, TaskStatus.PENDING, TaskStatus.RETRYING];
  },
} as const;

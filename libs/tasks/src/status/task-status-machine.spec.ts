import { IllegalTransitionError, TaskStatusMachine } from './task-status-machine.js';
import { TASK_STATUSES, TaskStatus } from './task-status.js';

const { NEW, PENDING, IN_PROGRESS, RETRYING, COMPLETED, FAILED, CANCELLED } = TaskStatus;

/** Every arrow of the status machine drawn in documents/architecture.md ("The status machine"). */
const drawnTransitions: [TaskStatus, TaskStatus][] = [
  [NEW, PENDING], // relay published
  [NEW, FAILED], // dispatch gave up after OUTBOX_MAX_ATTEMPTS
  [NEW, CANCELLED],
  [PENDING, IN_PROGRESS], // worker claimed
  [PENDING, CANCELLED],
  [IN_PROGRESS, COMPLETED],
  [IN_PROGRESS, RETRYING], // failed or timed out, attempts left
  [IN_PROGRESS, FAILED], // last attempt failed, or a permanent error
  [IN_PROGRESS, CANCELLED], // cancel requested
  [RETRYING, IN_PROGRESS],
  [RETRYING, CANCELLED],
  [FAILED, NEW], // retry
  [CANCELLED, NEW], // retry
];

/** Not an arrow of the drawing: the take-over of a dead worker's task by another worker (a redelivery). */
const takeOver: [TaskStatus, TaskStatus] = [IN_PROGRESS, IN_PROGRESS];

const legalTransitions = [...drawnTransitions, takeOver];

const isLegal = (from: TaskStatus, to: TaskStatus) => legalTransitions.some(([f, t]) => f === from && t === to);

const allOtherPairs: [TaskStatus, TaskStatus][] = TASK_STATUSES.flatMap((from) =>
  TASK_STATUSES.filter((to) => !isLegal(from, to)).map((to): [TaskStatus, TaskStatus] => [from, to]),
);

/** Mistakes worth naming on their own. */
const notableIllegalTransitions: [TaskStatus, TaskStatus][] = [
  [NEW, IN_PROGRESS], // a worker may not run a task the relay never published
  [NEW, COMPLETED],
  [PENDING, COMPLETED],
  [PENDING, FAILED],
  [PENDING, NEW],
  [RETRYING, COMPLETED],
  [RETRYING, FAILED],
  [COMPLETED, NEW], // completed tasks cannot be retried
  [COMPLETED, FAILED],
  [COMPLETED, CANCELLED],
  [FAILED, PENDING],
  [FAILED, CANCELLED],
  [FAILED, FAILED], // a terminal status is written once
  [CANCELLED, IN_PROGRESS], // a cancelled task never starts
  [CANCELLED, CANCELLED],
];

const sut = TaskStatusMachine;

describe('TaskStatusMachine', () => {
  describe('canTransition', () => {
    it.each(drawnTransitions)('allows %s → %s', (from, to) => {
      expect(sut.canTransition(from, to)).toBe(true);
    });

    it('allows IN_PROGRESS → IN_PROGRESS, the take-over of a task whose worker died', () => {
      expect(sut.canTransition(...takeOver)).toBe(true);
    });

    it.each(allOtherPairs)('refuses %s → %s', (from, to) => {
      expect(sut.canTransition(from, to)).toBe(false);
    });
  });

  describe('assertTransition', () => {
    it.each(legalTransitions)('accepts %s → %s', (from, to) => {
      expect(() => sut.assertTransition(from, to)).not.toThrow();
    });

    it.each(notableIllegalTransitions)('throws IllegalTransitionError for %s → %s', (from, to) => {
      const error = captureError(() => sut.assertTransition(from, to));

      expect(error).toBeInstanceOf(IllegalTransitionError);
      expect(error).toMatchObject({ from, to, code: 'ILLEGAL_STATUS_TRANSITION', message: `A task cannot go from ${from} to ${to}` });
    });
  });

  describe('transitions', () => {
    it('lists every legal pair once, and nothing else', () => {
      const listed = sut.transitions().map(([from, to]) => `${from} → ${to}`);

      expect([...listed].sort()).toEqual(legalTransitions.map(([from, to]) => `${from} → ${to}`).sort());
      expect(new Set(listed).size).toBe(listed.length);
    });
  });

  describe('sourcesOf', () => {
    it.each([
      [NEW, [FAILED, CANCELLED]],
      [PENDING, [NEW]],
      [IN_PROGRESS, [PENDING, IN_PROGRESS, RETRYING]],
      [RETRYING, [IN_PROGRESS]],
      [COMPLETED, [IN_PROGRESS]],
      [FAILED, [NEW, IN_PROGRESS]],
      [CANCELLED, [NEW, PENDING, IN_PROGRESS, RETRYING]],
    ])('lists what may precede %s: %j', (to, expected) => {
      expect([...sut.sourcesOf(to)].sort()).toEqual([...expected].sort());
    });
  });

  describe('ways out', () => {
    it('has none from COMPLETED', () => {
      expect(TASK_STATUSES.filter((to) => sut.canTransition(COMPLETED, to))).toEqual([]);
    });

    it.each([FAILED, CANCELLED])('leads from %s only back to NEW', (from) => {
      expect(TASK_STATUSES.filter((to) => sut.canTransition(from, to))).toEqual([NEW]);
    });
  });

  describe('isTerminal', () => {
    it.each([COMPLETED, FAILED, CANCELLED])('is true for %s', (status) => {
      expect(sut.isTerminal(status)).toBe(true);
    });

    it.each([NEW, PENDING, IN_PROGRESS, RETRYING])('is false for %s', (status) => {
      expect(sut.isTerminal(status)).toBe(false);
    });

    it('agrees with terminal(), the list of finished statuses', () => {
      expect([...sut.terminal()].sort()).toEqual([COMPLETED, FAILED, CANCELLED].sort());
      expect(TASK_STATUSES.filter((s) => sut.isTerminal(s)).sort()).toEqual([...sut.terminal()].sort());
    });
  });

  describe('cancellableAtOnce', () => {
    it('lists the statuses in which no handler runs: NEW, PENDING, RETRYING', () => {
      expect([...sut.cancellableAtOnce()].sort()).toEqual([NEW, PENDING, RETRYING].sort());
    });

    it('lists only statuses that may go to CANCELLED', () => {
      for (const status of sut.cancellableAtOnce()) expect(sut.canTransition(status, CANCELLED)).toBe(true);
    });
  });
});

function captureError(action: () => void): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the action to throw');
}

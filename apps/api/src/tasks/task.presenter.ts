import type { TaskRecord } from '#database';

/** The task as JSON (contract §2): the record, with times as ISO strings. */
export type TaskView = Omit<TaskRecord, 'runAt' | 'nextRetryAt' | 'createdAt' | 'updatedAt' | 'startedAt' | 'completedAt'> & {
  runAt: string | null;
  nextRetryAt: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  completedAt: string | null;
};

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function presentTask(task: TaskRecord): TaskView {
  return {
    ...task,
    runAt: iso(task.runAt),
    nextRetryAt: iso(task.nextRetryAt),
    createdAt: task.createdAt.toISOString(),
    updatedAt: task.updatedAt.toISOString(),
    startedAt: iso(task.startedAt),
    completedAt: iso(task.completedAt),
  };
}

import { FINISHED, PRIORITIES, type Priority, STATUSES, type Stats } from './api.js';

/** One poll of GET /tasks/stats and when it arrived (ms since the epoch). */
export interface Sample {
  at: number;
  stats: Stats;
}

/** Rates between two polls, per second. */
export interface Rates {
  at: number;
  /** Tasks created per priority (each goes to that priority's queue). */
  inByPriority: Record<Priority, number>;
  /** Tasks that finished (COMPLETED, FAILED or CANCELLED) per priority. */
  outByPriority: Record<Priority, number>;
  completed: number;
  failed: number;
  /** The longest wait of a PENDING task across the queues at the later poll, seconds. */
  oldestWaitSeconds: number;
}

/**
 * The last few minutes of stats polls, and the rates between them. The API serves counts, not
 * rates: a rate is the change of a count between two polls over the time between them. Counts
 * can also fall (a retried task leaves FAILED, retention deletes old tasks), so a negative change
 * counts as no flow rather than a negative rate. Pure: no DOM, no timers.
 */
export class StatsHistory {
  private readonly samples: Sample[] = [];

  constructor(private readonly windowMs = 5 * 60_000) {}

  add(sample: Sample): void {
    // A poll older than the last one (a slow answer overtaken) says nothing new.
    const last = this.samples.at(-1);
    if (last && sample.at <= last.at) return;
    this.samples.push(sample);
    while (this.samples.length > 2 && this.samples[0].at < sample.at - this.windowMs) this.samples.shift();
  }

  get first(): Sample | undefined {
    return this.samples[0];
  }

  get latest(): Sample | undefined {
    return this.samples.at(-1);
  }

  /** The rates between each pair of successive polls, oldest first. */
  rates(): Rates[] {
    const out: Rates[] = [];
    for (let i = 1; i < this.samples.length; i++) out.push(ratesBetween(this.samples[i - 1], this.samples[i]));
    return out;
  }
}

export function ratesBetween(before: Sample, after: Sample): Rates {
  const seconds = (after.at - before.at) / 1000;
  const flow = (a: number, b: number) => (seconds > 0 ? Math.max(0, b - a) / seconds : 0);
  const inByPriority = {} as Record<Priority, number>;
  const outByPriority = {} as Record<Priority, number>;
  for (const priority of PRIORITIES) {
    inByPriority[priority] = flow(total(before.stats, priority), total(after.stats, priority));
    outByPriority[priority] = flow(finished(before.stats, priority), finished(after.stats, priority));
  }
  return {
    at: after.at,
    inByPriority,
    outByPriority,
    completed: flow(byStatus(before.stats, 'COMPLETED'), byStatus(after.stats, 'COMPLETED')),
    failed: flow(byStatus(before.stats, 'FAILED'), byStatus(after.stats, 'FAILED')),
    oldestWaitSeconds: Math.max(0, ...after.stats.queues.map((q) => q.oldestAgeSeconds)),
  };
}

/** Every task of a priority, whatever its status. */
function total(stats: Stats, priority: Priority): number {
  return STATUSES.reduce((sum, status) => sum + (stats.tasks[status]?.[priority] ?? 0), 0);
}

function finished(stats: Stats, priority: Priority): number {
  return FINISHED.reduce((sum, status) => sum + (stats.tasks[status as keyof Stats['tasks']]?.[priority] ?? 0), 0);
}

/** Tasks of a status across priorities. */
export function byStatus(stats: Stats, status: keyof Stats['tasks']): number {
  return PRIORITIES.reduce((sum, priority) => sum + (stats.tasks[status]?.[priority] ?? 0), 0);
}

/** The priority a queue serves (`tasks.high` → HIGH), or null for another queue. */
export function priorityOfQueue(queue: string): Priority | null {
  const name = queue.replace(/^tasks\./, '').toUpperCase();
  return (PRIORITIES as readonly string[]).includes(name) ? (name as Priority) : null;
}

/** Anything that came from one of the queues. */
export interface Queued {
  readonly queue: string;
}

/**
 * Runs at most `slots` jobs at once and, whenever a slot frees, starts the waiting job of the
 * highest-priority queue, then tells {@link onSlotFreed} so the worker's intake can take the
 * next message from the broker. Jobs wait here only briefly: the intake asks for no more than
 * the free slots (see intake.ts).
 */
export class PriorityScheduler<T extends Queued> {
  private readonly waiting = new Map<string, T[]>();
  private active = 0;
  private idleWaiters: (() => void)[] = [];
  private accepting = true;
  /** Called after a job finished and its slot was given to a waiting job, if any. */
  onSlotFreed: () => void = () => undefined;

  constructor(
    /** Queue names, highest priority first. */
    private readonly queues: readonly string[],
    private readonly slots: number,
    private readonly run: (job: T) => Promise<void>,
  ) {
    for (const queue of queues) this.waiting.set(queue, []);
  }

  get running(): number {
    return this.active;
  }

  /** Slots neither running a job nor promised to a waiting one. */
  get free(): number {
    return Math.max(0, this.slots - this.active - this.waitingCount);
  }

  get waitingCount(): number {
    let count = 0;
    for (const list of this.waiting.values()) count += list.length;
    return count;
  }

  /** Queues a job; it starts at once when a slot is free. False after {@link stop}: the caller hands it back. */
  offer(job: T): boolean {
    const list = this.waiting.get(job.queue);
    if (!list) throw new Error(`PriorityScheduler has no queue '${job.queue}'`);
    if (!this.accepting) return false;
    list.push(job);
    this.pump();
    return true;
  }

  /** Stops starting jobs and returns the ones still waiting, for the caller to hand back. */
  stop(): T[] {
    this.accepting = false;
    const left: T[] = [];
    for (const queue of this.queues) left.push(...this.waiting.get(queue)!.splice(0));
    return left;
  }

  /** Resolves when no job is running. */
  whenIdle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private next(): T | undefined {
    for (const queue of this.queues) {
      const job = this.waiting.get(queue)!.shift();
      if (job) return job;
    }
    return undefined;
  }

  /** Starts at once; a run that throws synchronously still frees its slot. */
  private start(job: T): Promise<void> {
    try {
      return this.run(job);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private pump(): void {
    while (this.accepting && this.active < this.slots) {
      const job = this.next();
      if (!job) return;
      this.active++;
      this.start(job)
        .catch(() => undefined)
        .finally(() => {
          this.active--;
          if (this.active === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
          this.pump();
          if (this.accepting) this.onSlotFreed();
        });
    }
  }
}

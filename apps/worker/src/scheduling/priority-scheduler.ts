/** Anything that came from one of the queues. */
export interface Queued {
  readonly queue: string;
}

/** Per-kind limits (a task type's `concurrency`): at most `limits.get(kind)` jobs of one kind run at once. */
export interface KindLimits<T> {
  /** The kind of a job; undefined: no limit applies to it. */
  kindOf(job: T): string | undefined;
  readonly limits: ReadonlyMap<string, number>;
}

/**
 * Runs at most `slots` jobs at once and, whenever a slot frees, starts the waiting job of the
 * highest-priority queue, then tells {@link onSlotFreed} so the worker's intake can take the
 * next message from the broker. Jobs wait here only briefly: the intake asks for no more than
 * the free slots (see intake.ts).
 *
 * With {@link KindLimits}, a job whose kind already runs its limit is parked: it waits here
 * without taking a slot, and the next job of its queue that may run goes before it; it starts
 * (first among its kind) when a job of its kind ends. Parked jobs do not count against the free
 * slots, so a saturated kind does not hold the worker, but at most `slots` may be parked: with
 * that many parked, {@link free} is 0 until one of them starts, so a flood of one kind holds
 * back what queues behind it by no more than that.
 */
export class PriorityScheduler<T extends Queued> {
  private readonly waiting = new Map<string, T[]>();
  private readonly runningByKind = new Map<string, number>();
  private readonly kinds = new WeakMap<T, string | undefined>();
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
    private readonly kindLimits?: KindLimits<T>,
  ) {
    for (const queue of queues) this.waiting.set(queue, []);
  }

  get running(): number {
    return this.active;
  }

  /** Slots neither running a job nor promised to a waiting one (parked jobs hold none, but take room while `slots` are parked). */
  get free(): number {
    const parked = this.parkedCount;
    return Math.max(0, Math.min(this.slots - this.active - (this.waitingCount - parked), this.slots - parked));
  }

  /** Waiting jobs whose kind runs its limit. */
  get parkedCount(): number {
    if (!this.limited) return 0;
    let count = 0;
    for (const list of this.waiting.values()) for (const job of list) if (this.saturated(job)) count++;
    return count;
  }

  private get limited(): boolean {
    return this.kindLimits !== undefined && this.kindLimits.limits.size > 0;
  }

  private kindOf(job: T): string | undefined {
    if (!this.limited) return undefined;
    if (!this.kinds.has(job)) this.kinds.set(job, this.kindLimits!.kindOf(job));
    return this.kinds.get(job);
  }

  private saturated(job: T): boolean {
    const kind = this.kindOf(job);
    if (kind === undefined) return false;
    const limit = this.kindLimits!.limits.get(kind);
    return limit !== undefined && (this.runningByKind.get(kind) ?? 0) >= limit;
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

  /** The first job of the highest queue that may run: with kind limits, a parked job is passed over. */
  private next(): T | undefined {
    for (const queue of this.queues) {
      const list = this.waiting.get(queue)!;
      const index = this.limited ? list.findIndex((job) => !this.saturated(job)) : list.length > 0 ? 0 : -1;
      if (index >= 0) return list.splice(index, 1)[0];
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
      const kind = this.kindOf(job);
      if (kind !== undefined) this.runningByKind.set(kind, (this.runningByKind.get(kind) ?? 0) + 1);
      this.start(job)
        .catch(() => undefined)
        .finally(() => {
          this.active--;
          if (kind !== undefined) this.runningByKind.set(kind, this.runningByKind.get(kind)! - 1);
          if (this.active === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
          this.pump();
          if (this.accepting) this.onSlotFreed();
        });
    }
  }
}

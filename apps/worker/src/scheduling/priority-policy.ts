/** How many messages to ask one queue for, in the order to ask. */
export interface Ask {
  readonly queue: string;
  readonly count: number;
}

/**
 * Decides which queues a worker takes its next messages from, for the slots it has free. Pure:
 * the caller reports what each ask brought ({@link PriorityPolicy.taken}) and passes the clock.
 */
export interface PriorityPolicy {
  /** Whether to stop at the first ask that brought a message and plan again (strict) or go through the whole plan. */
  readonly oneAskAtATime: boolean;
  /** The asks for `free` slots, in order; a later ask only fills what the earlier ones left. */
  plan(free: number, now: number): Ask[];
  /**
   * What an ask brought: `count` messages and how many are still waiting in the queue
   * (`undefined`: not known). `taken(queue, 0, n)` reports a queue found holding n messages.
   */
  taken(queue: string, count: number, waiting: number | undefined, now: number): void;
}

/** The highest-priority queue with a message always goes first: ask each queue, highest first, for every free slot. */
export class StrictPolicy implements PriorityPolicy {
  readonly oneAskAtATime = true;

  constructor(
    /** Highest priority first. */
    private readonly queues: readonly string[],
  ) {}

  plan(free: number): Ask[] {
    return free > 0 ? this.queues.map((queue) => ({ queue, count: free })) : [];
  }

  taken(): void {}
}

/**
 * Queues take turns by weight, with smooth weighted round robin (the nginx upstream rule): every
 * turn each queue's credit grows by its weight, the queue with the most credit goes (ties: the
 * higher priority) and gives back the sum of the weights. Weights 8,3,1 interleave as
 * H H M H H L H M H H M H rather than eight H in a row. Free slots are shared out by playing as
 * many turns; a queue that brings fewer messages than its share leaves the rest to the queues
 * after it, highest priority first, so no slot stays empty while a queue has work.
 *
 * Aging: a queue that still had messages waiting when it was last served, and has not been
 * served for `agingMs`, goes first, oldest wait first, one message each. A queue found empty
 * spends the credit it has saved up, so a queue that was idle does not come back with a long
 * run of turns.
 */
export class WeightedPolicy implements PriorityPolicy {
  readonly oneAskAtATime = false;
  private readonly credit: number[];
  private readonly total: number;
  /** When each queue was last served (or found empty); the worker's start for a queue never asked. */
  private readonly servedAt: number[];
  /** Whether the queue had messages waiting after it was last served. */
  private readonly backlog: boolean[];

  constructor(
    /** Highest priority first is not required: `weights[i]` belongs to `queues[i]`. */
    private readonly queues: readonly string[],
    private readonly weights: readonly number[],
    private readonly agingMs: number,
    /** Rank of each queue by its own priority (0 highest), for ties and for the fill-up order. */
    private readonly rank: (queue: string) => number,
    now: number,
  ) {
    if (weights.length !== queues.length || weights.some((w) => !Number.isSafeInteger(w) || w < 1)) {
      throw new Error(`WeightedPolicy needs one positive whole weight per queue (${queues.join(', ')}), got ${weights.join(',')}`);
    }
    this.credit = queues.map(() => 0);
    this.total = weights.reduce((sum, w) => sum + w, 0);
    this.servedAt = queues.map(() => now);
    this.backlog = queues.map(() => false);
  }

  plan(free: number, now: number): Ask[] {
    if (free <= 0) return [];
    const counts = this.queues.map(() => 0);
    const order: number[] = [];
    const ask = (i: number) => {
      if (counts[i]++ === 0) order.push(i);
    };
    let turns = free;
    for (const i of this.aged(now)) {
      if (turns === 0) break;
      ask(i);
      turns--;
    }
    const credit = [...this.credit];
    for (; turns > 0; turns--) {
      const i = this.nextTurn(credit);
      credit[i] -= this.total;
      ask(i);
    }
    const asks: Ask[] = order.map((i) => ({ queue: this.queues[i], count: counts[i] }));
    // Whatever a queue cannot fill goes to the others, highest priority first.
    for (const i of this.byPriority()) asks.push({ queue: this.queues[i], count: free });
    return asks;
  }

  taken(queue: string, count: number, waiting: number | undefined, now: number): void {
    const i = this.queues.indexOf(queue);
    if (i < 0) throw new Error(`WeightedPolicy has no queue '${queue}'`);
    for (let n = 0; n < count; n++) {
      this.nextTurn(this.credit);
      this.credit[i] -= this.total;
    }
    if (count > 0 || waiting === 0) this.servedAt[i] = now;
    // Found empty with credit saved up: it spends a turn on nothing (a whole turn, so the credits
    // still add up to zero), rather than come back later with a run of turns.
    if (count === 0 && waiting === 0 && this.credit[i] > 0) {
      this.nextTurn(this.credit);
      this.credit[i] -= this.total;
    }
    this.backlog[i] = waiting === undefined ? count > 0 || this.backlog[i] : waiting > 0;
  }

  /** Queues waiting at least `agingMs` since last served with messages left, oldest first. */
  private aged(now: number): number[] {
    if (this.agingMs <= 0) return [];
    return this.queues
      .map((_, i) => i)
      .filter((i) => this.backlog[i] && now - this.servedAt[i] >= this.agingMs)
      .sort((a, b) => this.servedAt[a] - this.servedAt[b] || this.rank(this.queues[a]) - this.rank(this.queues[b]));
  }

  /** One turn of smooth weighted round robin on `credit`: adds the weights and returns who goes (it does not charge it). */
  private nextTurn(credit: number[]): number {
    let best = -1;
    for (let i = 0; i < credit.length; i++) {
      credit[i] += this.weights[i];
      if (best < 0 || credit[i] > credit[best] || (credit[i] === credit[best] && this.rank(this.queues[i]) < this.rank(this.queues[best]))) best = i;
    }
    return best;
  }

  private byPriority(): number[] {
    return this.queues.map((_, i) => i).sort((a, b) => this.rank(this.queues[a]) - this.rank(this.queues[b]));
  }
}

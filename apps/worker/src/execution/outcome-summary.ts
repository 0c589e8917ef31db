/** Statements written and the items they covered. */
interface WriteCounts {
  batches: number;
  items: number;
}

/**
 * Counts what happened to deliveries (COMPLETED, RETRYING, SKIPPED, ...) between two summary
 * lines, so the worker logs one line every few seconds instead of one per task.
 */
export class OutcomeSummary {
  private counts = new Map<string, number>();
  private since: number;

  constructor(now: number) {
    this.since = now;
  }

  add(outcome: string, n = 1): void {
    this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + n);
  }

  /**
   * The line for what happened since the last call, or null when nothing did; starts counting
   * again either way. `now` and the start are in milliseconds; `writes` adds how many claim and
   * outcome statements covered those deliveries.
   */
  take(now: number, writes?: { claims: WriteCounts; outcomes: WriteCounts }): string | null {
    const counts = this.counts;
    const seconds = Math.max(0.001, (now - this.since) / 1000);
    this.counts = new Map();
    this.since = now;
    if (counts.size === 0) return null;
    let total = 0;
    for (const n of counts.values()) total += n;
    const parts = [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([outcome, n]) => `${outcome} ${n}`);
    let line = `last ${seconds.toFixed(1)} s: ${total} deliveries (${(total / seconds).toFixed(1)}/s): ${parts.join(', ')}`;
    if (writes) {
      const { claims, outcomes } = writes;
      line += `; ${claims.items} claims in ${claims.batches} statements, ${outcomes.items} outcomes in ${outcomes.batches} statements`;
    }
    return line;
  }
}

/** What a batch write answers for one item: its value, or the error that item alone failed with. */
export type ItemResult<R> = { ok: true; value: R } | { ok: false; error: unknown };

/** Writes a batch; answers one {@link ItemResult} per item, in the order of `items`. A throw fails every item. */
export type BatchWrite<I, R> = (items: readonly I[]) => Promise<readonly ItemResult<R>[]>;

interface Waiting<I, R> {
  readonly item: I;
  resolve(value: R): void;
  reject(error: unknown): void;
}

/**
 * Group commit: items submitted while no write is in flight go out together at the end of the
 * current turn of the event loop (a microtask, so a burst of deliveries handed over in one go
 * shares one write, and a lone item waits for nothing); items submitted while a write is in
 * flight wait for it and go out together in the next one, at most `maxBatch` per write.
 *
 * `submit` settles each item's promise only once the write that covered it answered: with the
 * item's own value, its own error, or the error of the whole write.
 */
export class GroupCommit<I, R> {
  private readonly queue: Waiting<I, R>[] = [];
  private inFlight = 0;
  private scheduled = false;
  private batches = 0;
  private items = 0;

  constructor(
    private readonly write: BatchWrite<I, R>,
    /** Most items in one write. */
    private readonly maxBatch: number,
    /** Most writes in flight at once. */
    private readonly maxInFlight = 1,
  ) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be a whole number of at least 1 (got ${maxBatch})`);
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new RangeError(`maxInFlight must be a whole number of at least 1 (got ${maxInFlight})`);
  }

  /** Items waiting for a write to start. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Writes started and items they covered since the last call; for the summary log. */
  takeCounts(): { batches: number; items: number } {
    const counts = { batches: this.batches, items: this.items };
    this.batches = 0;
    this.items = 0;
    return counts;
  }

  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight++;
      this.batches++;
      this.items += batch.length;
      void this.run(batch).finally(() => {
        this.inFlight--;
        this.schedule();
      });
    }
  }

  private async run(batch: Waiting<I, R>[]): Promise<void> {
    let results: readonly ItemResult<R>[];
    try {
      results = await this.write(batch.map((w) => w.item));
      if (results.length !== batch.length) throw new Error(`a batch write answered ${results.length} results for ${batch.length} items`);
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
      return;
    }
    batch.forEach((waiting, i) => {
      const result = results[i];
      if (result.ok) waiting.resolve(result.value);
      else waiting.reject(result.error);
    });
  }
}

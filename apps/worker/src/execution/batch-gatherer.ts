import type { BatchWrite } from './group-commit.js';

interface Gathered<I, R> {
  readonly item: I;
  resolve(value: R): void;
  reject(error: unknown): void;
}

/** runBatch answered with an array that does not line up with its items: every item of that batch fails with this. */
export class BatchResultMismatchError extends Error {
  readonly code = 'BATCH_RESULT_MISMATCH';
  constructor(items: number, results: unknown) {
    const got = Array.isArray(results) ? `${results.length} results` : `a ${results === null ? 'null' : typeof results}`;
    super(`runBatch must return one result per item, in their order: got ${got} for ${items} items`);
    this.name = 'BatchResultMismatchError';
  }
}

/**
 * Gathers the claimed tasks of one batch type into runs of its handler's runBatch: a batch goes
 * out as soon as `size` items wait, or `maxWaitMs` after the first item of a batch arrived (0:
 * at the end of the turn, with what arrived in it), whichever comes first. After {@link flush}
 * (the worker is shutting down) nothing waits: what is gathered runs at once, and so does each
 * later item.
 *
 * Runs do not wait for each other: a batch that fills while another runs goes out at once (the
 * type's concurrency, and WORKER_PREFETCH, bound the items running together). `submit` settles
 * each item's promise with the item's own answer, or with the error of the whole run.
 */
export class BatchGatherer<I, R> {
  private waiting: Gathered<I, R>[] = [];
  private timer?: NodeJS.Timeout;
  private flushing = false;
  private runs = 0;

  constructor(
    private readonly size: number,
    private readonly maxWaitMs: number,
    private readonly run: BatchWrite<I, R>,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`A batch size must be a whole number from 1 (got ${size})`);
  }

  /** Items gathered and not yet handed to a run. */
  get pending(): number {
    return this.waiting.length;
  }

  /** runBatch calls started so far. */
  get started(): number {
    return this.runs;
  }

  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.flushing || this.waiting.length >= this.size) this.dispatch();
      else this.timer ??= setTimeout(() => this.dispatch(), this.maxWaitMs);
    });
  }

  /** Runs what is gathered now, and every later item at once: used when the worker shuts down. */
  flush(): void {
    this.flushing = true;
    this.dispatch();
  }

  private dispatch(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.waiting.length > 0) this.start(this.waiting.splice(0, this.size));
  }

  private start(batch: Gathered<I, R>[]): void {
    this.runs++;
    let running: Promise<readonly unknown[]>;
    try {
      running = this.run(batch.map((g) => g.item));
    } catch (error) {
      running = Promise.reject(error);
    }
    running.then(
      (results) => {
        if (!Array.isArray(results) || results.length !== batch.length) {
          const error = new BatchResultMismatchError(batch.length, results);
          for (const g of batch) g.reject(error);
          return;
        }
        batch.forEach((g, i) => {
          const result = (results as Awaited<ReturnType<BatchWrite<I, R>>>)[i];
          if (result && typeof result === 'object' && result.ok === true) g.resolve(result.value);
          else if (result && typeof result === 'object' && result.ok === false) g.reject(result.error);
          else g.reject(new BatchResultMismatchError(batch.length, results));
        });
      },
      (error: unknown) => {
        for (const g of batch) g.reject(error);
      },
    );
  }
}

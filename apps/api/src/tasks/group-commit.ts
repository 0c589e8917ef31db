export interface GroupCommitOptions {
  /**
   * How long a batch that opens while another is being written collects more items before it
   * goes (CREATE_BATCH_WINDOW_MS). A batch that opens while nothing is being written goes at
   * once: with the items that arrived in the same turn of the event loop, and no wait.
   */
  windowMs: number;
  /** Most items in one write (CREATE_BATCH_MAX); a full batch goes without waiting for its window. */
  maxBatch: number;
  /** Most writes at the same time; a batch that is due waits for one of them to end. */
  maxInFlight: number;
  /**
   * True for an error that is no single item's fault (the database cannot be reached): every item
   * of the batch gets it as it is. Any other error of a batch of several is not trusted to be
   * everyone's: each item is written again on its own and gets its own answer.
   */
  isSharedFailure: (error: unknown) => boolean;
}

interface Waiting<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: items submitted side by side are written together, by one call of `write` (one
 * statement, one commit), and each submitter gets its own result or its own error.
 *
 * `write` takes a batch and returns one result per item, in the batch's order. When nothing is
 * being written, a batch goes at once (a lone item never waits for the window). What arrives
 * while a write is under way collects into the next batch, which goes when the writes under way
 * have ended, when its window ends, or when it is full, whichever comes first, as soon as fewer
 * than `maxInFlight` writes run.
 */
export class GroupCommit<I, O> {
  private open: Waiting<I, O>[] = [];
  private inFlight = 0;
  /** The open batch may go: its window ended, or it opened while nothing was being written. */
  private due = false;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private idle: (() => void)[] = [];

  constructor(
    private readonly write: (items: I[]) => Promise<O[]>,
    private readonly options: GroupCommitOptions,
  ) {
    if (!(options.windowMs >= 0 && options.maxBatch >= 1 && options.maxInFlight >= 1)) {
      throw new RangeError('GroupCommit needs windowMs >= 0, maxBatch >= 1 and maxInFlight >= 1');
    }
  }

  /** Writes `item` with whatever else is submitted alongside; resolves with its own result. */
  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.open.push({ item, resolve, reject });
      if (this.open.length >= this.options.maxBatch) this.pump();
      else if (this.inFlight === 0) {
        // Nothing is being written: go at once, together with what arrived in this same turn.
        this.immediate ??= setImmediate(() => {
          this.immediate = undefined;
          this.due = true;
          this.pump();
        });
      } else {
        this.timer ??= setTimeout(() => {
          this.timer = undefined;
          this.due = true;
          this.pump();
        }, this.options.windowMs);
      }
    });
  }

  /** Items submitted and not yet answered, written or waiting. */
  get pending(): number {
    return this.open.length + this.inFlight;
  }

  /** Resolves once every submitted item has been answered (for a graceful shutdown). */
  drained(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private pump(): void {
    while (this.open.length > 0 && this.inFlight < this.options.maxInFlight && (this.due || this.open.length >= this.options.maxBatch)) {
      const batch = this.open.splice(0, this.options.maxBatch);
      this.due = false;
      clearTimeout(this.timer);
      this.timer = undefined;
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
        // Nothing is being written any more: the open batch goes now, whatever is left of its
        // window (waiting longer would only add latency).
        if (this.inFlight === 0 && this.open.length > 0) this.due = true;
        this.pump();
        if (this.pending === 0) for (const resolve of this.idle.splice(0)) resolve();
      });
    }
    if (this.open.length > 0 && !this.due && this.timer === undefined && this.immediate === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.due = true;
        this.pump();
      }, this.options.windowMs);
    }
  }

  private async run(batch: Waiting<I, O>[]): Promise<void> {
    try {
      const results = await this.write(batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(results[i]));
    } catch (error) {
      if (batch.length === 1 || this.options.isSharedFailure(error)) {
        for (const w of batch) w.reject(error);
        return;
      }
      // One item may have made the whole statement fail: write each on its own, so that only
      // that item gets the error and the others are written.
      await Promise.all(
        batch.map(async (w) => {
          try {
            const [result] = await this.write([w.item]);
            w.resolve(result);
          } catch (own) {
            w.reject(own);
          }
        }),
      );
    }
  }
}

/** What {@link AckCoalescer} sends: one acknowledgement, of `tag` alone or of every open delivery up to it. */
export interface AckFrame {
  tag: number;
  multiple: boolean;
}

/**
 * The acknowledgements of one channel, sent together: acknowledgements asked for in one turn of
 * the event loop go out as few frames as is exactly right. One frame with AMQP's `multiple` flag
 * acknowledges every delivery of the channel up to its tag that is not yet settled, so it is used
 * only for a run of tags from the oldest open delivery on, every one of which was asked to be
 * acknowledged; any other acknowledgement goes out on its own. A delivery handed back (nack)
 * leaves the open set at once, so no later `multiple` frame can cover it.
 *
 * Pure bookkeeping: the caller sends the frames {@link take} returns.
 */
export class AckCoalescer {
  /** Delivery tags received and not yet settled, in the order received (ascending on a channel). */
  private readonly open: number[] = [];
  private readonly asked = new Set<number>();

  received(tag: number): void {
    this.open.push(tag);
  }

  /** Asks for `tag` to be acknowledged with the next {@link take}. */
  ack(tag: number): void {
    this.asked.add(tag);
  }

  /** `tag` was settled another way (a nack sent at once): it leaves the open set. */
  settledElsewhere(tag: number): void {
    this.remove(tag);
  }

  /** Acknowledgements waiting for {@link take}. */
  get pending(): number {
    return this.asked.size;
  }

  /** The frames that acknowledge everything asked for since the last call, fewest first. */
  take(): AckFrame[] {
    if (this.asked.size === 0) return [];
    const frames: AckFrame[] = [];
    let run = 0;
    while (run < this.open.length && this.asked.has(this.open[run])) run++;
    if (run > 1) {
      frames.push({ tag: this.open[run - 1], multiple: true });
    } else if (run === 1) {
      frames.push({ tag: this.open[0], multiple: false });
    }
    for (const tag of this.open.splice(0, run)) this.asked.delete(tag);
    for (const tag of [...this.asked].sort((a, b) => a - b)) {
      frames.push({ tag, multiple: false });
      this.remove(tag);
    }
    this.asked.clear();
    return frames;
  }

  private remove(tag: number): void {
    const at = this.open.indexOf(tag);
    if (at >= 0) this.open.splice(at, 1);
  }
}

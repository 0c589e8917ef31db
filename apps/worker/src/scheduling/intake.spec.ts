import type { Delivery, DeliveryHandler } from '#messaging';
import { PullIntake, type PullIntakeOptions, type QueueSource, type Slots } from './intake.js';
import { type PriorityPolicy, StrictPolicy, WeightedPolicy } from './priority-policy.js';

const QUEUES = ['tasks.high', 'tasks.medium', 'tasks.low'];
const rank = (queue: string) => QUEUES.indexOf(queue);

interface FakeMessage {
  queue: string;
  name: string;
  done: Promise<void>;
  /** Acknowledges it (what the executor does when the task is over). */
  settle: () => void;
}

function fakeDelivery(queue: string, name: string): Delivery {
  let settle!: () => void;
  const done = new Promise<void>((resolve) => (settle = resolve));
  const message: FakeMessage = { queue, name, done, settle };
  return message as unknown as Delivery;
}

/** Lets every pending promise callback run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Queues of named messages that hand them out on demand or, while subscribed (a prefetch of one), push the next one. */
class FakeQueue implements QueueSource {
  readonly messages: string[] = [];
  subscribed = false;
  /** The watch has a message not yet settled. */
  private watchHolds = false;
  asks = 0;
  takes = 0;
  /** Bumped by {@link replaceChannel}, as the real source does on a new channel. */
  generation = 0;
  /** Lasting consumers by tag: how many more each may be pushed. */
  readonly streams = new Map<string, { credit: number; onDelivery: DeliveryHandler }>();

  constructor(
    readonly queue: string,
    private readonly onPush: () => DeliveryHandler,
  ) {}

  publish(...names: string[]): void {
    this.messages.push(...names);
    this.push();
  }

  async start(): Promise<void> {}

  async ready(): Promise<number> {
    this.asks++;
    return this.messages.length;
  }

  async take(max: number, onDelivery: DeliveryHandler): Promise<number> {
    this.takes++;
    const taken = this.messages.splice(0, max);
    for (const name of taken) onDelivery(fakeDelivery(this.queue, name));
    return taken.length;
  }

  async stream(max: number, onDelivery: DeliveryHandler): Promise<string> {
    const tag = `stream-${this.streams.size + 1}`;
    this.streams.set(tag, { credit: max, onDelivery });
    this.push();
    return tag;
  }

  async unstream(tag: string): Promise<void> {
    this.streams.delete(tag);
  }

  async resume(): Promise<void> {
    this.subscribed = true;
    this.push();
  }

  /** The connection was lost and came back: the old channel's consumers are gone; a subscription (not paused) is made again. */
  replaceChannel(): void {
    this.generation++;
    this.streams.clear();
  }

  async pause(): Promise<void> {
    this.subscribed = false;
  }

  async close(): Promise<void> {
    this.subscribed = false;
  }

  /** Streams take what their credit allows (credit comes back when a message is settled); a watch takes one. */
  private push(): void {
    for (const stream of this.streams.values()) {
      while (stream.credit > 0 && this.messages.length > 0) {
        stream.credit--;
        const delivery = fakeDelivery(this.queue, this.messages.shift()!);
        void delivery.done.then(() => {
          stream.credit++;
          this.push();
        });
        stream.onDelivery(delivery);
      }
    }
    // The watch's prefetch of one: nothing more until its message is settled.
    if (!this.subscribed || this.messages.length === 0 || this.watchHolds) return;
    const delivery = fakeDelivery(this.queue, this.messages.shift()!);
    this.watchHolds = true;
    void delivery.done.then(() => {
      this.watchHolds = false;
      this.push();
    });
    this.onPush()(delivery);
  }
}

/** A scheduler stand-in: `slots` slots; the test finishes jobs by name. */
class FakeSlots implements Slots {
  readonly running: FakeMessage[] = [];
  readonly started: string[] = [];
  mostHeld = 0;
  accepting = true;

  constructor(private readonly slots: number) {}

  get free(): number {
    return Math.max(0, this.slots - this.running.length);
  }

  offer(delivery: Delivery): boolean {
    if (!this.accepting) return false;
    const message = delivery as unknown as FakeMessage;
    this.running.push(message);
    this.started.push(message.name);
    this.mostHeld = Math.max(this.mostHeld, this.running.length);
    return true;
  }
}

function intakeWith(slots: number, policy: PriorityPolicy = new StrictPolicy(QUEUES), options: PullIntakeOptions = {}) {
  const fakeSlots = new FakeSlots(slots);
  // The queues reach the intake only once it exists (when a message is pushed).
  const queues: Record<string, FakeQueue> = Object.fromEntries(QUEUES.map((queue) => [queue, new FakeQueue(queue, () => sut.watched)]));
  const sut = new PullIntake(Object.values(queues), policy, fakeSlots, () => 0, options);
  const finish = async (name: string) => {
    const index = fakeSlots.running.findIndex((m) => m.name === name);
    if (index < 0) throw new Error(`${name} is not running`);
    const [message] = fakeSlots.running.splice(index, 1);
    message.settle();
    sut.slotFreed();
    await settle();
  };
  return { sut, slots: fakeSlots, high: queues['tasks.high'], medium: queues['tasks.medium'], low: queues['tasks.low'], finish };
}

describe(PullIntake.name, () => {
  it('takes no more messages than it has free slots; the rest stay in their queue', async () => {
    const { sut, slots, high, low } = intakeWith(2);
    high.publish('h1', 'h2', 'h3');
    low.publish('l1', 'l2');

    await sut.start();
    await sut.resume();
    await settle();

    expect(slots.started).toEqual(['h1', 'h2']);
    expect(high.messages).toEqual(['h3']);
    expect(low.messages).toEqual(['l1', 'l2']);
    expect(slots.mostHeld).toBe(2);
  });

  it('strict: fills a freed slot from the highest queue with a message, and a lower one only when the higher ones are empty', async () => {
    const { sut, slots, high, medium, low, finish } = intakeWith(1);
    low.publish('l1', 'l2');
    medium.publish('m1');
    await sut.resume();
    await settle();
    expect(slots.started).toEqual(['m1']);

    high.publish('h1');
    await finish('m1');
    expect(slots.started).toEqual(['m1', 'h1']);

    await finish('h1');
    await finish('l1');
    expect(slots.started).toEqual(['m1', 'h1', 'l1', 'l2']);
  });

  it('strict: streams the top queue, so a finished HIGH task lets the next one in without asking again', async () => {
    const { sut, slots, high, finish } = intakeWith(2);
    high.publish('h1', 'h2', 'h3', 'h4');
    await sut.resume();
    await settle();
    expect(slots.started).toEqual(['h1', 'h2']);
    expect(high.streams.size).toBe(1);
    expect(high.takes).toBe(0);

    await finish('h1');
    await finish('h2');

    expect(slots.started).toEqual(['h1', 'h2', 'h3', 'h4']);
    expect(high.takes).toBe(0);
    expect(slots.mostHeld).toBe(2);
  });

  it('strict: cancels the stream once the top queue is empty and gives its slots to the lower queues', async () => {
    const { sut, slots, high, low, finish } = intakeWith(2);
    high.publish('h1', 'h2');
    low.publish('l1', 'l2', 'l3');
    await sut.resume();
    await settle();
    expect(slots.started).toEqual(['h1', 'h2']);

    await finish('h1');
    await settle();
    expect(high.streams.size).toBe(0);
    expect(slots.started).toEqual(['h1', 'h2', 'l1']);

    high.publish('h3');
    await finish('l1');
    expect(slots.started).toEqual(['h1', 'h2', 'l1', 'h3']);
    expect(low.messages).toEqual(['l2', 'l3']);
  });

  it('strict: a stream takes no more than its own slots while the others run lower tasks', async () => {
    const { sut, slots, high, low, finish } = intakeWith(3);
    low.publish('l1', 'l2');
    await sut.resume();
    await settle();
    high.publish('h1', 'h2', 'h3', 'h4', 'h5');
    await finish('l1');

    // h1 came by the watch of the free third slot; h2 by a stream of one, for the slot l1 freed.
    expect(slots.started).toEqual(['l1', 'l2', 'h1', 'h2']);
    expect(high.messages).toEqual(['h3', 'h4', 'h5']);
    expect(slots.mostHeld).toBe(3);
  });

  it('holds nothing while every slot is busy: messages published meanwhile wait in the broker', async () => {
    const { sut, slots, high, low, finish } = intakeWith(2);
    low.publish('l1', 'l2');
    await sut.resume();
    await settle();

    high.publish('h1', 'h2', 'h3');
    await settle();

    expect(slots.started).toEqual(['l1', 'l2']);
    expect(high.messages).toEqual(['h1', 'h2', 'h3']);
    expect([high, low].some((q) => q.subscribed)).toBe(false);

    await finish('l1');
    expect(slots.started).toEqual(['l1', 'l2', 'h1']);
    expect(high.messages).toEqual(['h2', 'h3']);
  });

  it('watches every queue while idle and starts a message pushed to it at once, then asks again for the rest', async () => {
    const { sut, slots, high, medium, low } = intakeWith(3);
    await sut.resume();
    await settle();
    expect([high, medium, low].every((q) => q.subscribed)).toBe(true);

    low.publish('l1', 'l2', 'l3', 'l4');
    await settle();

    expect(slots.started).toEqual(['l1', 'l2', 'l3']);
    expect(low.messages).toEqual(['l4']);
    expect([high, medium, low].some((q) => q.subscribed)).toBe(false);
  });

  it('keeps watching when a slot frees in the turn a watched message arrives (the watch is not left cancelled)', async () => {
    const { sut, slots, medium, low } = intakeWith(3);
    await sut.resume();
    await settle();

    low.publish('l1'); // pushed through the watch, which ends
    sut.slotFreed(); // in the same turn another task ends: a fill finds every queue empty and watches again
    await settle();
    await settle();
    medium.publish('m1');
    await settle();

    expect(slots.started).toEqual(['l1', 'm1']);
  });

  it('stops asking while paused and starts again on resume', async () => {
    const { sut, slots, high } = intakeWith(2);
    await sut.resume();
    await settle();
    await sut.pause();

    high.publish('h1');
    sut.slotFreed();
    await settle();
    expect(slots.started).toEqual([]);
    expect(high.subscribed).toBe(false);

    await sut.resume();
    await settle();
    expect(slots.started).toEqual(['h1']);
  });

  it('hands a message back when the scheduler no longer accepts it (shutdown)', async () => {
    const { sut, slots, high } = intakeWith(1);
    await sut.resume();
    await settle();
    slots.accepting = false;
    let nacked = false;
    const delivery = { queue: 'tasks.high', name: 'late', nack: () => (nacked = true) } as unknown as Delivery;

    sut.watched(delivery);

    expect(nacked).toBe(true);
    expect(high.asks).toBeGreaterThan(0);
  });

  it('weighted: shares a batch of free slots by weight while every queue has messages', async () => {
    const { sut, slots, high, medium, low } = intakeWith(12, new WeightedPolicy(QUEUES, [8, 3, 1], 0, rank, 0));
    high.publish(...Array.from({ length: 20 }, (_, i) => `h${i}`));
    medium.publish(...Array.from({ length: 20 }, (_, i) => `m${i}`));
    low.publish(...Array.from({ length: 20 }, (_, i) => `l${i}`));

    await sut.resume();
    await settle();

    const count = (prefix: string) => slots.started.filter((name) => name.startsWith(prefix)).length;
    expect([count('h'), count('m'), count('l')]).toEqual([8, 3, 1]);
  });

  it('weighted: gives the share of an empty queue to the others', async () => {
    const { sut, slots, high } = intakeWith(12, new WeightedPolicy(QUEUES, [8, 3, 1], 0, rank, 0));
    high.publish(...Array.from({ length: 20 }, (_, i) => `h${i}`));

    await sut.resume();
    await settle();

    expect(slots.started).toHaveLength(12);
    expect(high.messages).toHaveLength(8);
  });
  describe('express slot (strict)', () => {
    it('keeps one slot for the top queue while lower work runs, so a HIGH message starts without waiting for a slot to free', async () => {
      const { sut, slots, high, low } = intakeWith(3, new StrictPolicy(QUEUES), { express: true });
      low.publish('l1', 'l2', 'l3', 'l4');
      await sut.resume();
      await settle();
      expect(slots.started).toEqual(['l1', 'l2']);

      high.publish('h1');
      await settle();

      expect(slots.started).toEqual(['l1', 'l2', 'h1']);
      expect(slots.mostHeld).toBe(3);
      expect(low.messages).toEqual(['l3', 'l4']);
    });

    it('stays on the top queue when it is empty, for the next HIGH message', async () => {
      const { sut, slots, high, low, finish } = intakeWith(3, new StrictPolicy(QUEUES), { express: true });
      low.publish('l1', 'l2', 'l3', 'l4');
      await sut.resume();
      await settle();
      high.publish('h1');
      await settle();

      await finish('h1');
      expect(high.streams.size).toBe(1);
      high.publish('h2');
      await settle();

      expect(slots.started).toEqual(['l1', 'l2', 'h1', 'h2']);
    });

    it('gives lower queues every slot but the express one, and takes them in strict order', async () => {
      const { sut, slots, medium, low, finish } = intakeWith(3, new StrictPolicy(QUEUES), { express: true });
      low.publish('l1', 'l2');
      medium.publish('m1', 'm2');
      await sut.resume();
      await settle();
      expect(slots.started).toEqual(['m1', 'm2']);

      await finish('m1');
      expect(slots.started).toEqual(['m1', 'm2', 'l1']);
    });

    it('stands for the watch of the top queue while idle: one consumer there, and a HIGH message starts at once', async () => {
      const { sut, slots, high, medium, low } = intakeWith(3, new StrictPolicy(QUEUES), { express: true });
      await sut.resume();
      await settle();

      expect(high.streams.size).toBe(1);
      expect([high.subscribed, medium.subscribed, low.subscribed]).toEqual([false, true, true]);
      high.publish('h1');
      await settle();
      expect(slots.started).toEqual(['h1']);
    });

    it('is opened again when its channel was replaced while the worker watched the other queues', async () => {
      const { sut, slots, high } = intakeWith(3, new StrictPolicy(QUEUES), { express: true });
      await sut.resume();
      await settle();
      expect(high.streams.size).toBe(1);

      high.replaceChannel(); // RabbitMQ went away and came back: the express consumer went with the channel
      sut.slotFreed(); // what the source's new channel calls once it is up
      await settle();
      await settle();
      high.publish('h1');
      await settle();

      expect(high.streams.size).toBe(1);
      expect(slots.started).toEqual(['h1']);
    });

    it('is closed by pause and opened again on resume', async () => {
      const { sut, high, low } = intakeWith(3, new StrictPolicy(QUEUES), { express: true });
      low.publish('l1', 'l2', 'l3');
      await sut.resume();
      await settle();
      expect(high.streams.size).toBe(1);

      await sut.pause();
      expect(high.streams.size).toBe(0);
      await sut.resume();
      await settle();

      expect(high.streams.size).toBe(1);
    });
  });
});

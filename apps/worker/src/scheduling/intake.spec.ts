import type { Delivery, DeliveryHandler, Taken } from '#messaging';
import { PullIntake, type QueueSource, type Slots } from './intake.js';
import { type PriorityPolicy, StrictPolicy, WeightedPolicy } from './priority-policy.js';

const QUEUES = ['tasks.high', 'tasks.medium', 'tasks.low'];
const rank = (queue: string) => QUEUES.indexOf(queue);

interface FakeMessage {
  queue: string;
  name: string;
  nacked?: boolean;
}

/** Lets every pending promise callback run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Queues of named messages that hand them out on demand or, while subscribed, push the next one. */
class FakeQueue implements QueueSource {
  readonly ready: string[] = [];
  subscribed = false;
  asks = 0;

  constructor(
    readonly queue: string,
    private readonly onPush: () => DeliveryHandler,
  ) {}

  publish(...names: string[]): void {
    this.ready.push(...names);
    this.push();
  }

  async start(): Promise<void> {}

  async take(max: number, onDelivery: DeliveryHandler): Promise<Taken> {
    this.asks++;
    const taken = this.ready.splice(0, max);
    for (const name of taken) onDelivery({ queue: this.queue, name } as unknown as Delivery);
    return { count: taken.length, waiting: this.ready.length };
  }

  async resume(): Promise<void> {
    this.subscribed = true;
    this.push();
  }

  async pause(): Promise<void> {
    this.subscribed = false;
  }

  async close(): Promise<void> {
    this.subscribed = false;
  }

  /** A subscription with a prefetch of one: one message, then the intake cancels it. */
  private push(): void {
    if (!this.subscribed || this.ready.length === 0) return;
    const name = this.ready.shift()!;
    this.onPush()({ queue: this.queue, name } as unknown as Delivery);
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

function intakeWith(slots: number, policy: PriorityPolicy = new StrictPolicy(QUEUES)) {
  const fakeSlots = new FakeSlots(slots);
  let sut: PullIntake | undefined;
  const queues = Object.fromEntries(QUEUES.map((queue) => [queue, new FakeQueue(queue, () => sut!.watched)]));
  sut = new PullIntake(Object.values(queues), policy, fakeSlots, () => 0);
  const finish = async (name: string) => {
    const index = fakeSlots.running.findIndex((m) => m.name === name);
    if (index < 0) throw new Error(`${name} is not running`);
    fakeSlots.running.splice(index, 1);
    sut!.slotFreed();
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
    expect(high.ready).toEqual(['h3']);
    expect(low.ready).toEqual(['l1', 'l2']);
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

  it('holds nothing while every slot is busy: messages published meanwhile wait in the broker', async () => {
    const { sut, slots, high, low, finish } = intakeWith(2);
    low.publish('l1', 'l2');
    await sut.resume();
    await settle();

    high.publish('h1', 'h2', 'h3');
    await settle();

    expect(slots.started).toEqual(['l1', 'l2']);
    expect(high.ready).toEqual(['h1', 'h2', 'h3']);
    expect([high, low].some((q) => q.subscribed)).toBe(false);

    await finish('l1');
    expect(slots.started).toEqual(['l1', 'l2', 'h1']);
    expect(high.ready).toEqual(['h2', 'h3']);
  });

  it('watches every queue while idle and starts a message pushed to it at once, then asks again for the rest', async () => {
    const { sut, slots, high, medium, low } = intakeWith(3);
    await sut.resume();
    await settle();
    expect([high, medium, low].every((q) => q.subscribed)).toBe(true);

    low.publish('l1', 'l2', 'l3', 'l4');
    await settle();

    expect(slots.started).toEqual(['l1', 'l2', 'l3']);
    expect(low.ready).toEqual(['l4']);
    expect([high, medium, low].some((q) => q.subscribed)).toBe(false);
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
    expect(high.ready).toHaveLength(8);
  });
});

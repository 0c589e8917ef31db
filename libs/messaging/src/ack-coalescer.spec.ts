import { AckCoalescer } from './ack-coalescer.js';

function received(...tags: number[]): AckCoalescer {
  const sut = new AckCoalescer();
  for (const tag of tags) sut.received(tag);
  return sut;
}

describe(AckCoalescer.name, () => {
  it('sends nothing when nothing was asked', () => {
    expect(received(1, 2).take()).toEqual([]);
  });

  it('acknowledges a lone delivery on its own', () => {
    const sut = received(1, 2);
    sut.ack(1);

    expect(sut.take()).toEqual([{ tag: 1, multiple: false }]);
  });

  it('acknowledges a run from the oldest open delivery on with one multiple frame', () => {
    const sut = received(1, 2, 3, 4);
    sut.ack(3);
    sut.ack(1);
    sut.ack(2);

    expect(sut.take()).toEqual([{ tag: 3, multiple: true }]);
  });

  it('never covers an open delivery not asked for: what lies past it goes one by one', () => {
    const sut = received(1, 2, 3, 4, 5);
    sut.ack(1);
    sut.ack(2);
    sut.ack(4);
    sut.ack(5);

    expect(sut.take()).toEqual([
      { tag: 2, multiple: true },
      { tag: 4, multiple: false },
      { tag: 5, multiple: false },
    ]);
  });

  it('acknowledges one by one when the oldest open delivery is still running', () => {
    const sut = received(1, 2, 3);
    sut.ack(2);
    sut.ack(3);

    expect(sut.take()).toEqual([
      { tag: 2, multiple: false },
      { tag: 3, multiple: false },
    ]);
  });

  it('forgets what it sent: the next run starts at the oldest delivery still open', () => {
    const sut = received(1, 2, 3, 4);
    sut.ack(2);
    sut.take();
    sut.ack(1);
    sut.ack(3);

    expect(sut.take()).toEqual([{ tag: 3, multiple: true }]);
  });

  it('lets a multiple frame pass over a delivery that was handed back', () => {
    const sut = received(1, 2, 3);
    sut.settledElsewhere(2);
    sut.ack(1);
    sut.ack(3);

    expect(sut.take()).toEqual([{ tag: 3, multiple: true }]);
  });

  it('counts what waits for the next take', () => {
    const sut = received(1, 2);
    sut.ack(1);
    expect(sut.pending).toBe(1);
    sut.take();
    expect(sut.pending).toBe(0);
  });
});

import { coalesceWrites } from './coalesced-writes.js';

describe(coalesceWrites.name, () => {
  it('corks the socket for each pass of the multiplexer and uncorks it at the end of the pass', () => {
    const calls: string[] = [];
    const stream = { cork: () => calls.push('cork'), uncork: () => calls.push('uncork') };
    const muxer = {
      frames: ['a', 'b'],
      _readIncoming(this: { frames: string[] }) {
        for (const frame of this.frames) calls.push(`write ${frame}`);
      },
    };

    const sut = coalesceWrites({ stream, muxer });
    muxer._readIncoming();

    expect(sut).toBe(true);
    expect(calls).toEqual(['cork', 'write a', 'write b', 'uncork']);
  });

  it('uncorks the socket when a pass throws', () => {
    const calls: string[] = [];
    const stream = { cork: () => calls.push('cork'), uncork: () => calls.push('uncork') };
    const muxer = {
      _readIncoming() {
        throw new Error('broken stream');
      },
    };

    coalesceWrites({ stream, muxer });

    expect(() => muxer._readIncoming()).toThrow('broken stream');
    expect(calls).toEqual(['cork', 'uncork']);
  });

  it('leaves a connection of another shape as it is', () => {
    const muxer = {};

    const sut = coalesceWrites({ stream: { cork: () => undefined, uncork: () => undefined }, muxer });

    expect(sut).toBe(false);
    expect(muxer).toEqual({});
  });
});

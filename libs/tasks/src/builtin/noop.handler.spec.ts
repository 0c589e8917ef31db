import { NoopHandler } from './noop.handler.js';

describe(NoopHandler.name, () => {
  it('returns {} at once', async () => {
    const sut = new NoopHandler();

    await expect(sut.run()).resolves.toEqual({});
  });
});

import { PermanentTaskError, TransientTaskError } from '../registry/task-errors.js';
import type { TaskContext } from '../registry/task-handler.interface.js';
import { FailHandler } from './fail.handler.js';

function contextOfAttempt(attempt: number): TaskContext {
  return {
    taskId: '0b6f3c1e-8f1a-4d6e-9a53-2f1c7e0d9b41',
    type: 'fail',
    attempt,
    maxAttempts: 20,
    correlationId: 'corr-fail',
    signal: new AbortController().signal,
    reportProgress: async () => undefined,
  };
}

describe(FailHandler.name, () => {
  let sut: FailHandler;

  beforeEach(() => {
    sut = new FailHandler();
  });

  it.each([1, 2])('fails attempt %i of {times: 2} with a TransientTaskError', async (attempt) => {
    await expect(sut.run({ times: 2 }, contextOfAttempt(attempt))).rejects.toBeInstanceOf(TransientTaskError);
  });

  it.each([3, 4])('succeeds on attempt %i of {times: 2}', async (attempt) => {
    await expect(sut.run({ times: 2 }, contextOfAttempt(attempt))).resolves.toEqual({ succeededOnAttempt: attempt });
  });

  it('succeeds on the first attempt of {times: 0}', async () => {
    await expect(sut.run({ times: 0 }, contextOfAttempt(1))).resolves.toEqual({ succeededOnAttempt: 1 });
  });

  it.each([1, 5, 20])('fails every attempt, here %i, when times is absent', async (attempt) => {
    await expect(sut.run({}, contextOfAttempt(attempt))).rejects.toBeInstanceOf(TransientTaskError);
  });

  it('fails every attempt when times is null, as when it is absent', async () => {
    await expect(sut.run({ times: null as unknown as undefined }, contextOfAttempt(1))).rejects.toBeInstanceOf(TransientTaskError);
  });

  it('fails with a PermanentTaskError when permanent', async () => {
    await expect(sut.run({ permanent: true }, contextOfAttempt(1))).rejects.toBeInstanceOf(PermanentTaskError);
  });

  it('still succeeds after its failing attempts when permanent', async () => {
    await expect(sut.run({ times: 1, permanent: true }, contextOfAttempt(2))).resolves.toEqual({ succeededOnAttempt: 2 });
  });

  it('fails with the given message', async () => {
    await expect(sut.run({ message: 'boom' }, contextOfAttempt(1))).rejects.toThrow(new TransientTaskError('boom'));
  });

  it('names the attempt in its default message', async () => {
    await expect(sut.run({}, contextOfAttempt(3))).rejects.toThrow('fail: attempt 3 failed on purpose');
  });
});

import { InvalidPayloadError, PermanentTaskError, TransientTaskError } from '#tasks';
import { LeaseLostError, TaskCancelledError, TaskTimeoutError, WorkerShutdownError } from './abort-reasons.js';
import { type AttemptOutcome, decideOutcome, decideUnstorableResult, type OutcomeContext, outcomeWithoutRunning, WorkerLostError } from './outcome-decision.js';

const ladder = [5, 30, 120];
const resultMaxBytes = 1_024;

/** Attempt 1 of 3: two retries left. */
const firstOfThree: OutcomeContext = { attempt: 1, maxAttempts: 3, retry: { backoff: 'ladder', delaysSeconds: ladder }, resultMaxBytes };
/** Attempt 2 of 3: one retry left. */
const secondOfThree: OutcomeContext = { ...firstOfThree, attempt: 2 };
/** Attempt 3 of 3: no retry left. */
const lastOfThree: OutcomeContext = { ...firstOfThree, attempt: 3 };
/** Attempt 5 of 6: past the end of the ladder, one retry left. */
const fifthOfSix: OutcomeContext = { ...firstOfThree, attempt: 5, maxAttempts: 6 };
/** A take-over after the worker running attempt 3 of 3 was lost: the claim moved the count to 4. */
const takeOverPastLast: OutcomeContext = { ...firstOfThree, attempt: 4 };

const failed = (error: unknown): AttemptOutcome => ({ ok: false, error });
const succeeded = (result: unknown): AttemptOutcome => ({ ok: true, result });

const boom = new Error('boom');

describe(decideOutcome.name, () => {
  describe('a result', () => {
    it('completes with the result as JSON', () => {
      const sut = decideOutcome(succeeded({ rows: 2, ok: true }), firstOfThree);

      expect(sut).toEqual({ action: 'complete', resultJson: '{"rows":2,"ok":true}' });
    });

    it('completes with null for a handler that returned nothing', () => {
      const sut = decideOutcome(succeeded(undefined), lastOfThree);

      expect(sut).toEqual({ action: 'complete', resultJson: 'null' });
    });

    it('fails at once as result-not-storable when the result holds a NUL character, though retries are left', () => {
      const sut = decideOutcome(succeeded({ text: 'a\u0000b' }), firstOfThree);

      expect(sut).toEqual({
        action: 'fail',
        reason: 'result-not-storable',
        attempts: 1,
        error: "the handler's result cannot be stored: a string in the result contains a NUL character (\\u0000)",
      });
    });

    it('fails at once as result-not-storable when the result is over TASK_RESULT_MAX_BYTES', () => {
      const sut = decideOutcome(succeeded('x'.repeat(resultMaxBytes)), secondOfThree);

      expect(sut).toMatchObject({ action: 'fail', reason: 'result-not-storable', attempts: 2 });
      expect(sut.action === 'fail' && sut.error).toContain(`over TASK_RESULT_MAX_BYTES (${resultMaxBytes})`);
    });
  });

  describe('an error with attempts left', () => {
    it('retries after the first step of the ladder, as the next attempt', () => {
      const sut = decideOutcome(failed(boom), firstOfThree);

      expect(sut).toEqual({ action: 'retry', error: 'boom', delaySeconds: 5, nextAttempt: 2 });
    });

    it('retries after the step of the ladder the attempt has reached', () => {
      const sut = decideOutcome(failed(new TransientTaskError('try later')), secondOfThree);

      expect(sut).toEqual({ action: 'retry', error: 'try later', delaySeconds: 30, nextAttempt: 3 });
    });

    it('retries after the last step of the ladder once the attempts go past it', () => {
      const sut = decideOutcome(failed(boom), fifthOfSix);

      expect(sut).toEqual({ action: 'retry', error: 'boom', delaySeconds: 120, nextAttempt: 6 });
    });

    it("retries after its type's own backoff step when the type has one", () => {
      const exponential = { ...secondOfThree, retry: { backoff: 'exponential' as const, initialDelaySeconds: 1, maxDelaySeconds: 60 } };

      const sut = decideOutcome(failed(boom), exponential);

      expect(sut).toEqual({ action: 'retry', error: 'boom', delaySeconds: 2, nextAttempt: 3 });
    });

    it('retries a timeout', () => {
      const sut = decideOutcome(failed(new TaskTimeoutError(30)), firstOfThree);

      expect(sut).toEqual({ action: 'retry', error: 'timed out after 30 s (TASK_TIMEOUT_SECONDS)', delaySeconds: 5, nextAttempt: 2 });
    });
  });

  describe('an error on the last attempt', () => {
    it('fails as max-attempts-exhausted with the error', () => {
      const sut = decideOutcome(failed(boom), lastOfThree);

      expect(sut).toEqual({ action: 'fail', error: 'boom', reason: 'max-attempts-exhausted', attempts: 3 });
    });

    it('fails a timeout as timeout', () => {
      const sut = decideOutcome(failed(new TaskTimeoutError(30)), lastOfThree);

      expect(sut).toEqual({ action: 'fail', error: 'timed out after 30 s (TASK_TIMEOUT_SECONDS)', reason: 'timeout', attempts: 3 });
    });
  });

  describe('a permanent error', () => {
    it('fails at once as permanent-error, though retries are left', () => {
      const sut = decideOutcome(failed(new PermanentTaskError('bad input')), firstOfThree);

      expect(sut).toEqual({ action: 'fail', error: 'bad input', reason: 'permanent-error', attempts: 1 });
    });

    it('fails an invalid payload as permanent-error', () => {
      const sut = decideOutcome(failed(new InvalidPayloadError('ms must be a number')), secondOfThree);

      expect(sut).toEqual({ action: 'fail', error: 'ms must be a number', reason: 'permanent-error', attempts: 2 });
    });
  });

  describe('a take-over past maxAttempts', () => {
    it('fails as worker-lost, counting maxAttempts attempts', () => {
      const sut = decideOutcome(failed(new WorkerLostError(3)), takeOverPastLast);

      expect(sut).toEqual({
        action: 'fail',
        error: 'the worker running attempt 3 was lost, and no attempts remain',
        reason: 'worker-lost',
        attempts: 3,
      });
    });

    it('fails as worker-lost whatever the error, never retrying', () => {
      const sut = decideOutcome(failed(boom), takeOverPastLast);

      expect(sut).toEqual({ action: 'fail', error: 'boom', reason: 'worker-lost', attempts: 3 });
    });
  });

  describe('an attempt that ends without a verdict on the task', () => {
    it('cancels when a user cancelled, even on the last attempt', () => {
      const sut = decideOutcome(failed(new TaskCancelledError()), lastOfThree);

      expect(sut).toEqual({ action: 'cancel' });
    });

    it('cancels a take-over past maxAttempts that was cancelled', () => {
      const sut = decideOutcome(failed(new TaskCancelledError()), takeOverPastLast);

      expect(sut).toEqual({ action: 'cancel' });
    });

    it('abandons the attempt, writing nothing, when the lease was lost', () => {
      const sut = decideOutcome(failed(new LeaseLostError('the task was taken over or released')), lastOfThree);

      expect(sut).toEqual({ action: 'abandon', why: 'lost the lease: the task was taken over or released' });
    });

    it('hands the message back when the worker shut down under the handler', () => {
      const sut = decideOutcome(failed(new WorkerShutdownError()), lastOfThree);

      expect(sut).toEqual({ action: 'hand-back' });
    });
  });

  describe('the error text it stores', () => {
    it('is the name of an error without a message', () => {
      const nameless = new RangeError();

      const sut = decideOutcome(failed(nameless), lastOfThree);

      expect(sut).toMatchObject({ action: 'fail', error: 'RangeError' });
    });

    it('is the text of a thrown value that is not an Error', () => {
      const sut = decideOutcome(failed('plain string'), firstOfThree);

      expect(sut).toMatchObject({ action: 'retry', error: 'plain string' });
    });

    it('has a NUL character replaced, so Postgres can store it', () => {
      const sut = decideOutcome(failed(new Error('bad\u0000byte')), lastOfThree);

      expect(sut).toMatchObject({ action: 'fail', error: 'bad\uFFFDbyte' });
    });
  });
});

describe(decideUnstorableResult.name, () => {
  it('fails at once as result-not-storable with the reason, though retries are left', () => {
    const sut = decideUnstorableResult('PostgreSQL refused it: value too long', firstOfThree);

    expect(sut).toEqual({
      action: 'fail',
      error: "the handler's result cannot be stored: PostgreSQL refused it: value too long",
      reason: 'result-not-storable',
      attempts: 1,
    });
  });
});

describe(outcomeWithoutRunning.name, () => {
  it('runs the handler of an attempt within maxAttempts and not cancelled', () => {
    expect(outcomeWithoutRunning({ cancelRequested: false, attempt: 3, maxAttempts: 3 })).toBeUndefined();
  });

  it('cancels an attempt whose task had a cancel request before it started', () => {
    const sut = outcomeWithoutRunning({ cancelRequested: true, attempt: 1, maxAttempts: 3 });

    expect(sut?.ok === false && sut.error).toBeInstanceOf(TaskCancelledError);
  });

  it('cancels rather than fails a take-over past maxAttempts whose task had a cancel request', () => {
    const sut = outcomeWithoutRunning({ cancelRequested: true, attempt: 4, maxAttempts: 3 });

    expect(sut?.ok === false && sut.error).toBeInstanceOf(TaskCancelledError);
  });

  it('ends a take-over past maxAttempts as a lost worker', () => {
    const sut = outcomeWithoutRunning({ cancelRequested: false, attempt: 4, maxAttempts: 3 });

    expect(sut?.ok === false && sut.error).toBeInstanceOf(WorkerLostError);
    expect(sut?.ok === false && (sut.error as Error).message).toBe('the worker running attempt 3 was lost, and no attempts remain');
  });
});

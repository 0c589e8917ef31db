import { Injectable } from '@nestjs/common';
import { IsInt, Max, Min } from 'class-validator';
import { TaskHandler } from '../registry/task-handler.decorator.js';
import type { TaskContext, TaskHandlerContract } from '../registry/task-handler.interface.js';

export const SLEEP_MAX_MS = 600_000;

export class SleepPayload {
  /** How long to sleep, in milliseconds (0 to 10 minutes). */
  @IsInt()
  @Min(0)
  @Max(SLEEP_MAX_MS)
  ms!: number;
}

/** Sleeps `ms`, reporting progress about ten times, and stops at once when aborted. */
@Injectable()
@TaskHandler({ type: 'sleep', payload: SleepPayload, description: 'Sleeps {ms} milliseconds (up to 10 minutes), reporting progress; stops on cancellation.' })
export class SleepHandler implements TaskHandlerContract<SleepPayload, { sleptMs: number }> {
  async run(payload: SleepPayload, context: TaskContext): Promise<{ sleptMs: number }> {
    context.signal.throwIfAborted();
    const started = Date.now();
    const step = Math.max(100, Math.ceil(payload.ms / 10));
    let remaining = payload.ms;
    while (remaining > 0) {
      await abortableDelay(Math.min(step, remaining), context.signal);
      remaining = payload.ms - (Date.now() - started);
      if (remaining > 0) await context.reportProgress(Math.floor(((payload.ms - remaining) / payload.ms) * 100));
    }
    return { sleptMs: Date.now() - started };
  }
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it fires. */
export function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

import { Injectable } from '@nestjs/common';
import { IsBoolean, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { PermanentTaskError, TransientTaskError } from '../registry/task-errors.js';
import { TaskHandler } from '../registry/task-handler.decorator.js';
import type { TaskContext, TaskHandlerContract } from '../registry/task-handler.interface.js';

export class FailPayload {
  /** Fail the first `times` attempts, then succeed; absent: fail every attempt. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(20)
  times?: number;

  /** Fail with a permanent error: no retry. */
  @IsOptional()
  @IsBoolean()
  permanent?: boolean;

  @IsOptional()
  @IsString()
  @MaxLength(1000)
  message?: string;
}

/** Fails on purpose, for trying the retry ladder and the dead-letter queue. */
@Injectable()
@TaskHandler({
  type: 'fail',
  payload: FailPayload,
  description: 'Fails its first {times} attempts (every attempt when absent); {permanent: true} fails without retry.',
})
export class FailHandler implements TaskHandlerContract<FailPayload, { succeededOnAttempt: number }> {
  async run(payload: FailPayload, context: TaskContext): Promise<{ succeededOnAttempt: number }> {
    // `times` absent or null: fail every attempt (the type's description says so).
    const failing = payload.times === undefined || payload.times === null || context.attempt <= payload.times;
    if (!failing) return { succeededOnAttempt: context.attempt };
    const message = payload.message ?? `fail: attempt ${context.attempt} failed on purpose`;
    throw payload.permanent ? new PermanentTaskError(message) : new TransientTaskError(message);
  }
}

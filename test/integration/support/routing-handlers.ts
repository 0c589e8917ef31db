import { Injectable } from '@nestjs/common';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { TaskHandler, type TaskContext, type TaskHandlerContract } from '#tasks';
import { TEST_HANDLERS } from './test-handlers.js';

export class ReportPayload {
  /** Fails its first `failures` attempts. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(20)
  failures?: number;
}

/** Test only: a heavy type on a queue group of its own that publishes its result as an event. */
@Injectable()
@TaskHandler({
  type: 'report.build',
  payload: ReportPayload,
  description: 'Test only: a report on the reports queue group; fails its first `failures` attempts.',
  queueGroup: 'reports',
  output: 'reports.built',
})
export class ReportBuildHandler implements TaskHandlerContract<ReportPayload, unknown> {
  async run(payload: ReportPayload, context: TaskContext): Promise<unknown> {
    if (context.attempt <= (payload.failures ?? 0)) throw new Error(`report attempt ${context.attempt} failed`);
    return { built: true, attempt: context.attempt };
  }
}

export class NoPayload {}

/** Test only: a second type in the reports group, for the worker's start check. */
@Injectable()
@TaskHandler({ type: 'report.mail', payload: NoPayload, description: 'Test only: a second type on the reports queue group.', queueGroup: 'reports' })
export class ReportMailHandler implements TaskHandlerContract<NoPayload, unknown> {
  async run(): Promise<unknown> {
    return { mailed: true };
  }
}

/** The test handlers plus the reports group's two types. */
export const ROUTING_HANDLERS = [...TEST_HANDLERS, ReportBuildHandler, ReportMailHandler];
/** Every type of ROUTING_HANDLERS but the reports group's: what a default worker registers beside a reports pool. */
export const DEFAULT_POOL_TYPES = ['noop', 'sleep', 'fail', 'http.request', 'test.bad-output', 'test.gated'];

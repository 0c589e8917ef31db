import { Injectable } from '@nestjs/common';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { abortableDelay, TaskHandler, type TaskContext, type TaskHandlerContract } from '#tasks';

export class ReportBuildPayload {
  /** The account the report is for. */
  @Matches(/^[a-z0-9-]{1,64}$/, { message: 'account must be 1 to 64 lowercase letters, digits or dashes' })
  account!: string;

  /** How many sections to build (each is one step of progress). */
  @IsInt()
  @Min(1)
  @Max(100)
  sections!: number;

  /** How long one section takes, in milliseconds: stands in for the queries a real report runs. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(60_000)
  sectionMs?: number;
}

/** One section of the report. */
export interface ReportSection {
  index: number;
  rows: number;
}

/** The task's result, and the `result` of its event on `reports.done`. */
export interface ReportBuildResult {
  account: string;
  sections: ReportSection[];
  totalRows: number;
}

/**
 * Builds a report section by section, reporting its progress after each one (read it at
 * `GET /api/v1/tasks/{id}`: `progress`, 0–100), and publishes its end as an event:
 * `output: 'reports.done'` puts an event with the result (or the error) on the topic exchange
 * `tasks.events` under the routing key `reports.done` when the task is COMPLETED, FAILED or
 * CANCELLED, so the service that asked for the report binds a queue and hears of it without
 * polling.
 *
 * It runs on a queue group of its own (`reports.high`, `reports.medium`, `reports.low`), so a pool
 * of workers started with `WORKER_QUEUES=reports.high,reports.medium,reports.low
 * WORKER_TASK_TYPES=report.build` runs reports and nothing else, and a burst of reports never
 * takes the slots of other types. It stops between sections when its signal fires (cancel,
 * time-out, shutdown).
 */
@Injectable()
@TaskHandler({
  type: 'report.build',
  payload: ReportBuildPayload,
  description: 'Builds a report of {sections} sections for {account}, reporting progress; its end is published on tasks.events as reports.done.',
  output: 'reports.done',
  queueGroup: 'reports',
  timeoutSeconds: 1800,
  maxAttempts: 3,
  retry: { backoff: 'linear', initialDelaySeconds: 30, maxDelaySeconds: 300 },
})
export class ReportBuildHandler implements TaskHandlerContract<ReportBuildPayload, ReportBuildResult> {
  async run(payload: ReportBuildPayload, context: TaskContext): Promise<ReportBuildResult> {
    const sections: ReportSection[] = [];
    for (let index = 0; index < payload.sections; index++) {
      context.signal.throwIfAborted();
      sections.push(await buildSection(payload, index, context.signal));
      // After each section but the last: the task's own COMPLETED says 100.
      if (index + 1 < payload.sections) await context.reportProgress(Math.floor(((index + 1) / payload.sections) * 100));
    }
    return { account: payload.account, sections, totalRows: sections.reduce((sum, s) => sum + s.rows, 0) };
  }
}

/** Stands in for a section's queries: waits `sectionMs` (stopping when aborted) and counts some rows. */
async function buildSection(payload: ReportBuildPayload, index: number, signal: AbortSignal): Promise<ReportSection> {
  await abortableDelay(payload.sectionMs ?? 200, signal);
  return { index, rows: (index + 1) * 10 };
}

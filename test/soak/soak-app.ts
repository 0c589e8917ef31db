import 'reflect-metadata';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { IsInt, Max, Min } from 'class-validator';
import { abortableDelay, TASK_HANDLERS, TaskHandler, type TaskContext, type TaskHandlerContract } from '#tasks';

/**
 * The soak's entry point for api, relay and worker: the production app from the build, plus one
 * test-only task type, `soak.probe`, which the production registry never lists. The type is
 * added to the handler list before the app's module is loaded, so the API accepts it and the
 * worker runs it; nothing else differs from `node dist/apps/<app>/src/main.js`.
 *
 * Each run of a probe appends a `start` line before it sleeps and an `end` line after, to
 * `$SOAK_PROBE_DIR/<pid>.log`, synchronously, so a `kill -9` right after the start still leaves
 * the start on disk. The audit pairs them up to find two runs of one task at the same time.
 */
export class ProbePayload {
  /** How long one run lasts, in milliseconds. */
  @IsInt()
  @Min(0)
  @Max(60_000)
  ms!: number;
}

@Injectable()
@TaskHandler({ type: 'soak.probe', payload: ProbePayload, description: 'Soak test only: records the start and end of every run.' })
export class ProbeHandler implements TaskHandlerContract<ProbePayload, { ms: number }> {
  private readonly file = join(process.env.SOAK_PROBE_DIR ?? '.', `${process.pid}.log`);

  async run(payload: ProbePayload, context: TaskContext): Promise<{ ms: number }> {
    const run = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    this.record('start', run, context);
    try {
      await abortableDelay(payload.ms, context.signal);
      this.record('end', run, context);
      return { ms: payload.ms };
    } catch (error) {
      this.record('end', run, context, 'aborted');
      throw error;
    }
  }

  private record(event: 'start' | 'end', run: string, context: TaskContext, outcome = 'ok'): void {
    appendFileSync(
      this.file,
      `${JSON.stringify({ event, run, taskId: context.taskId, attempt: context.attempt, pid: process.pid, at: Date.now(), outcome })}\n`,
    );
  }
}

const app = process.argv[2];
if (app !== 'api' && app !== 'relay' && app !== 'worker') {
  process.stderr.write('usage: node dist/test/soak/soak-app.js api|relay|worker\n');
  process.exit(2);
}
TASK_HANDLERS.push(ProbeHandler);
await import(`../../apps/${app}/src/main.js`);

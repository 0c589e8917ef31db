import type { Command } from 'commander';
import { commaList, wholeNumber } from '../arguments.js';
import type { CliDependencies } from '../context.js';

/**
 * The commands that run an app here rather than call the API: `worker` and `migrate`. They read
 * the same environment as the apps (.env included); the options only override variables.
 */
export function registerLocal(program: Command, deps: CliDependencies, setExitCode: (code: number) => void): void {
  program
    .command('worker')
    .description('run a worker here, in the foreground (Ctrl-C or SIGTERM stops it gracefully)')
    .option('--queues <list>', 'WORKER_QUEUES: the queues it takes from, highest priority first', commaList)
    .option('--types <list>', 'WORKER_TASK_TYPES: the task types it registers (all when left out)', commaList)
    .option('--concurrency <n>', 'WORKER_PREFETCH: tasks it runs at once, 1-1000', wholeNumber(1, 1000))
    .action(async (options: { queues?: string; types?: string; concurrency?: number }) => {
      const env: Record<string, string> = {};
      if (options.queues !== undefined) env.WORKER_QUEUES = options.queues;
      if (options.types !== undefined) env.WORKER_TASK_TYPES = options.types;
      if (options.concurrency !== undefined) env.WORKER_PREFETCH = String(options.concurrency);
      setExitCode(await deps.runApp('worker', [], env));
    });

  program
    .command('migrate')
    .description('create the database if missing and apply pending migrations (--wait: change nothing, wait until applied)')
    .option('--wait', 'wait until every migration of this build is applied, changing nothing')
    .action(async (options: { wait?: boolean }) => {
      setExitCode(await deps.runApp('migrate', options.wait ? ['--wait'] : [], {}));
    });
}

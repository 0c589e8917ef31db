import type { Command } from 'commander';
import { type CliDependencies, CommandContext } from '../context.js';

const PRIORITIES = ['HIGH', 'MEDIUM', 'LOW'] as const;

/** `stats`: counts by status and priority, the outbox backlog, the queues. */
export function registerStats(program: Command, deps: CliDependencies): void {
  program
    .command('stats')
    .description('counts by status and priority, outbox backlog, queue depths')
    .action(async (_options: unknown, command: Command) => {
      const context = new CommandContext(deps, command);
      const stats = await context.client().stats();
      const out = context.output;
      if (out.json) return out.data(stats);
      out.table(
        ['status', ...PRIORITIES, 'total'],
        Object.entries(stats.tasks).map(([status, counts]) => [
          status,
          ...PRIORITIES.map((p) => counts[p] ?? 0),
          PRIORITIES.reduce((sum, p) => sum + (counts[p] ?? 0), 0),
        ]),
      );
      out.line();
      out.line(`outbox: ${stats.outbox.backlog} waiting, the oldest for ${stats.outbox.oldestAgeSeconds} s`);
      out.line();
      out.table(
        ['queue', 'depth', 'consumers', 'oldest pending (s)'],
        stats.queues.map((q) => [q.queue, q.depth ?? '?', q.consumers ?? '?', q.oldestAgeSeconds]),
      );
    });
}

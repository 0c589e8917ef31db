import type { Command } from 'commander';
import type { ReplaySelection } from '#client';
import { commaList, since, taskId, wholeNumber } from '../arguments.js';
import { type CliDependencies, CommandContext } from '../context.js';
import { UsageError } from '../exit-codes.js';
import { shortTime } from '../output.js';
import { printTask } from './tasks.command.js';

interface FilterOptions {
  type?: string;
  reason?: string;
  since?: string;
}

/** `dlq list|show|replay|purge`: what failed for good, through the API's /dlq endpoints. */
export function registerDlq(program: Command, deps: CliDependencies): void {
  const dlq = program.command('dlq').description('what failed for good: list, show, replay, purge');

  dlq
    .command('list')
    .description('FAILED tasks grouped by type and reason, then the most recent of them')
    .option('--type <list>', 'one task type or a comma list', commaList)
    .option('--reason <list>', 'one reason or a comma list (max-attempts-exhausted, permanent-error, timeout, ...)', commaList)
    .option('--since <time>', 'failed at or after: an ISO time, or an age like 30m, 2h, 7d', (v) => since(v))
    .option('--limit <n>', 'tasks on the page, 1-100', wholeNumber(1, 100), 20)
    .option('--cursor <cursor>', 'the next page: the cursor the previous page printed')
    .action(async (options: FilterOptions & { limit: number; cursor?: string }, command: Command) => {
      const context = new CommandContext(deps, command);
      const client = context.client();
      const filter = { type: options.type, reason: options.reason, since: options.since };
      const [summary, page] = await Promise.all([client.dlq.summary(filter), client.dlq.listPage({ ...filter, limit: options.limit, cursor: options.cursor })]);
      const out = context.output;
      if (out.json) return out.data({ ...summary, items: page.items, nextCursor: page.nextCursor });
      const copies = summary.queue.messages;
      const held = copies === null ? 'an unknown number of copies (the broker did not answer)' : `${copies} ${copies === 1 ? 'copy' : 'copies'}`;
      out.line(`${summary.total} failed for good; ${summary.queue.name} holds ${held}`);
      if (summary.groups.length === 0) return;
      out.line();
      out.table(
        ['type', 'reason', 'count', 'oldest', 'newest'],
        summary.groups.map((g) => [g.type, g.reason, g.count, shortTime(g.oldestFailedAt), shortTime(g.newestFailedAt)]),
      );
      out.line();
      out.table(
        ['id', 'type', 'reason', 'failed', 'attempts', 'error'],
        page.items.map((d) => [d.task.id, d.task.type, d.reason, shortTime(d.failedAt), `${d.task.attempts}/${d.task.maxAttempts}`, d.task.error]),
      );
      if (page.nextCursor) out.line(`more: --cursor ${page.nextCursor}`);
    });

  dlq
    .command('show')
    .description('one task that failed for good, with its reason')
    .argument('<id>', 'task id', taskId)
    .action(async (id: string, _options: unknown, command: Command) => {
      const context = new CommandContext(deps, command);
      const entry = await context.client().dlq.get(id);
      const out = context.output;
      if (out.json) return out.data(entry);
      out.line(`reason: ${entry.reason}, failed ${shortTime(entry.failedAt)}`);
      printTask(out, entry.task);
    });

  dlq
    .command('replay')
    .description('retry FAILED tasks: the ids given, or --all, or those of --type/--reason/--since')
    .argument('[ids...]', 'task ids', (value: string, previous: string[] | undefined) => [...(previous ?? []), taskId(value)])
    .option('--all', 'every FAILED task')
    .option('--type <list>', 'every FAILED task of this type (or comma list)', commaList)
    .option('--reason <list>', 'every FAILED task that failed for this reason (or comma list)', commaList)
    .option('--since <time>', 'every FAILED task that failed at or after: an ISO time, or an age like 30m, 2h, 7d', (v) => since(v))
    .action(async (ids: string[] | undefined, options: FilterOptions & { all?: boolean }, command: Command) => {
      const selection = replaySelection(ids ?? [], options);
      const context = new CommandContext(deps, command);
      const result = await context.client().dlq.replay(selection);
      const out = context.output;
      if (out.json) return out.data(result);
      out.line(`replayed ${result.replayed} ${result.replayed === 1 ? 'task' : 'tasks'} (back to NEW, dispatched through the outbox)`);
      for (const skip of result.skipped) out.line(`skipped ${skip.id}: it is ${skip.status}, not FAILED`);
    });

  dlq
    .command('purge')
    .description('delete the copies in tasks.dlq (FAILED tasks stay, and can still be replayed)')
    .option('--yes', 'really purge (required)')
    .action(async (options: { yes?: boolean }, command: Command) => {
      if (!options.yes) throw new UsageError('dlq purge deletes every copy in tasks.dlq; add --yes to do it');
      const context = new CommandContext(deps, command);
      const result = await context.client().dlq.purge();
      const out = context.output;
      if (out.json) return out.data(result);
      out.line(`purged ${result.purged} ${result.purged === 1 ? 'copy' : 'copies'} from tasks.dlq`);
    });
}

/** Exactly one of: ids, --all, or a filter. */
export function replaySelection(ids: string[], options: FilterOptions & { all?: boolean }): ReplaySelection {
  const hasFilter = options.type !== undefined || options.reason !== undefined || options.since !== undefined;
  const given = [ids.length > 0, options.all === true, hasFilter].filter(Boolean).length;
  if (given !== 1) throw new UsageError('dlq replay takes exactly one of: task ids, --all, or a filter (--type, --reason, --since)');
  if (ids.length > 0) return { ids };
  if (options.all) return { all: true };
  const filter: FilterOptions = {};
  if (options.type !== undefined) filter.type = options.type;
  if (options.reason !== undefined) filter.reason = options.reason;
  if (options.since !== undefined) filter.since = options.since;
  return filter;
}

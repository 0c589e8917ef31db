import type { Command } from 'commander';
import type { ListFilters, Task, TaskEvent, TaskPriority, TaskStatus } from '#client';
import { commaList, taskId, wholeNumber } from '../arguments.js';
import { type CliDependencies, CommandContext } from '../context.js';
import { type Output, shortTime } from '../output.js';

/** `tasks list|show|cancel|retry`. */
export function registerTasks(program: Command, deps: CliDependencies): void {
  const tasks = program.command('tasks').description('list, show, cancel and retry tasks');

  tasks
    .command('list')
    .description('tasks, newest first (one page; --all for every page)')
    .option('--status <list>', 'one status or a comma list, e.g. FAILED,CANCELLED', commaList)
    .option('--priority <list>', 'one priority or a comma list', commaList)
    .option('--type <list>', 'one task type or a comma list', commaList)
    .option('--limit <n>', 'page size, 1-100', wholeNumber(1, 100), 20)
    .option('--cursor <cursor>', 'the next page: the cursor the previous page printed')
    .option('--all', 'every page, following the cursor')
    .action(async (options: { status?: string; priority?: string; type?: string; limit: number; cursor?: string; all?: boolean }, command: Command) => {
      const context = new CommandContext(deps, command);
      const client = context.client();
      // The comma lists go to the API as given: it checks each status and priority, and a bad one is its 400 naming it (exit 1).
      const filter: ListFilters = {
        status: options.status as TaskStatus | undefined,
        priority: options.priority as TaskPriority | undefined,
        type: options.type,
        limit: options.limit,
        cursor: options.cursor,
      };
      let items: Task[];
      let nextCursor: string | null = null;
      if (options.all) {
        items = [];
        for await (const task of client.list(filter)) items.push(task);
      } else {
        ({ items, nextCursor } = await client.listPage(filter));
      }
      const out = context.output;
      if (out.json) return out.data({ items, nextCursor });
      out.table(
        ['id', 'type', 'status', 'priority', 'attempts', 'created', 'title'],
        items.map((t) => [t.id, t.type, t.status, t.priority, `${t.attempts}/${t.maxAttempts}`, shortTime(t.createdAt), t.title]),
      );
      if (nextCursor) out.line(`more: --cursor ${nextCursor}`);
    });

  tasks
    .command('show')
    .description("one task's fields (--events: with its timeline)")
    .argument('<id>', 'task id', taskId)
    .option('--events', 'also its timeline: every status change')
    .action(async (id: string, options: { events?: boolean }, command: Command) => {
      const context = new CommandContext(deps, command);
      const client = context.client();
      const task = await client.get(id);
      const events = options.events ? (await client.events(id)).items : undefined;
      const out = context.output;
      if (out.json) return out.data(events ? { task, events } : task);
      printTask(out, task);
      if (events) printEvents(out, events);
    });

  tasks
    .command('cancel')
    .description('cancel a task (a running one is asked to stop, and ends CANCELLED)')
    .argument('<id>', 'task id', taskId)
    .action(async (id: string, _options: unknown, command: Command) => {
      const context = new CommandContext(deps, command);
      const task = await context.client().cancel(id);
      // 200 with the task CANCELLED, or 202 when it was running: a cancel was requested and it is still IN_PROGRESS.
      const accepted = task.status !== 'CANCELLED';
      const out = context.output;
      if (out.json) return out.data({ accepted, task });
      out.line(accepted ? `cancellation requested: ${task.id} is running and will end CANCELLED` : `cancelled: ${task.id} is ${task.status}`);
    });

  tasks
    .command('retry')
    .description('retry a FAILED or CANCELLED task (back to NEW, attempts start again)')
    .argument('<id>', 'task id', taskId)
    .action(async (id: string, _options: unknown, command: Command) => {
      const context = new CommandContext(deps, command);
      const task = await context.client().retry(id);
      const out = context.output;
      if (out.json) return out.data(task);
      out.line(`retried: ${task.id} is ${task.status} again`);
    });
}

export function printTask(out: Output, task: Task): void {
  out.table(
    ['field', 'value'],
    [
      ['id', task.id],
      ['type', task.type],
      ['title', task.title],
      ['status', task.status],
      ['priority', task.priority],
      ['attempts', `${task.attempts}/${task.maxAttempts}`],
      ['progress', task.progress],
      ['payload', JSON.stringify(task.payload)],
      ['result', task.result === null || task.result === undefined ? null : JSON.stringify(task.result)],
      ['error', task.error],
      ['next retry', shortTime(task.nextRetryAt)],
      ['correlation id', task.correlationId],
      ['created', shortTime(task.createdAt)],
      ['started', shortTime(task.startedAt)],
      ['completed', shortTime(task.completedAt)],
    ],
  );
}

function printEvents(out: Output, events: TaskEvent[]): void {
  out.line();
  out.table(
    ['at', 'status', 'attempt', 'worker', 'detail', 'error'],
    events.map((e) => [shortTime(e.at), e.status, e.attempt, e.worker, e.detail, e.error]),
  );
}

import type { Command } from 'commander';
import type { CreateTaskInput, Task, TaskPriority } from '#client';
import { jsonObject, priority, wholeNumber } from '../arguments.js';
import { type CliDependencies, CommandContext } from '../context.js';
import { samplePayload } from '../sample-payload.js';

/** Tasks per `POST /tasks/batch`: the API's limit, each batch one transaction. */
const BATCH = 1000;
/** Up to this many created tasks are listed one per row; more are summed up. */
const LISTED = 20;

interface DispatchOptions {
  payload?: Record<string, unknown>;
  priority?: TaskPriority;
  count: number;
  title?: string;
  maxAttempts?: number;
}

/** `dispatch <type>`: creates sample tasks through the API, so they go through the outbox like any other. */
export function registerDispatch(program: Command, deps: CliDependencies): void {
  program
    .command('dispatch')
    .description('create tasks of a type through the API (and so through the outbox)')
    .argument('<type>', 'the task type, e.g. noop, sleep, fail, http.request')
    .option('--payload <json>', "the payload, a JSON object (default: the least payload the type's schema accepts)", jsonObject)
    .option('--priority <priority>', 'LOW, MEDIUM or HIGH', priority)
    .option('--count <n>', 'how many, 1-100000 (batches of 1,000, each one transaction)', wholeNumber(1, 100_000), 1)
    .option('--title <text>', 'the title (numbered when --count is over 1)')
    .option('--max-attempts <n>', 'attempts before it fails for good, 1-20', wholeNumber(1, 20))
    .action(async (type: string, options: DispatchOptions, command: Command) => {
      const context = new CommandContext(deps, command);
      const client = context.client();
      const title = options.title ?? `${type} from the command line`;
      // Without --payload, a sample: the least payload the type's schema accepts (said on stderr).
      let payload = options.payload;
      if (!payload) {
        const known = (await client.taskTypes()).find((t) => t.type === type);
        payload = known && samplePayload(known.payloadSchema);
        if (payload) deps.stderr(`payload from the type's schema: ${JSON.stringify(payload)}\n`);
      }
      const make = (index: number): CreateTaskInput => ({
        type,
        title: options.count > 1 ? `${title} #${index + 1}` : title,
        ...(payload ? { payload } : {}),
        ...(options.priority ? { priority: options.priority } : {}),
        ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
      });
      const created: Task[] = [];
      if (options.count === 1) created.push(await client.create(make(0)));
      else {
        for (let start = 0; start < options.count; start += BATCH) {
          const size = Math.min(BATCH, options.count - start);
          created.push(...(await client.createBatch(Array.from({ length: size }, (_, i) => make(start + i)))));
        }
      }
      const out = context.output;
      if (out.json) return out.data({ tasks: created });
      if (created.length <= LISTED) {
        out.table(
          ['id', 'type', 'priority', 'status'],
          created.map((t) => [t.id, t.type, t.priority, t.status]),
        );
      } else {
        out.line(`created ${created.length} tasks of type ${type}: ${created[0].id} … ${created[created.length - 1].id}`);
      }
    });
}

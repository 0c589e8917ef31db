import { Command, CommanderError } from 'commander';
import { registerDispatch } from './commands/dispatch.command.js';
import { registerDlq } from './commands/dlq.command.js';
import { registerLocal } from './commands/local.command.js';
import { registerStats } from './commands/stats.command.js';
import { registerTasks } from './commands/tasks.command.js';
import type { CliDependencies } from './context.js';
import { describeError, EXIT, exitCodeOf } from './exit-codes.js';

/**
 * Runs the command line on `argv` (without the node and script paths) and resolves to its exit
 * code (documents/cli.md): it never calls process.exit, so output is flushed and tests can run it.
 */
export async function runCli(argv: string[], deps: CliDependencies): Promise<number> {
  let code: number = EXIT.OK;
  const program = new Command('task-service')
    .description('The task service from the command line: tasks, the DLQ and stats through the API; a worker and migrations here.')
    .option('--json', 'print JSON for scripts instead of tables')
    .option('--url <url>', 'the API, e.g. http://127.0.0.1:3000 (default: TASK_SERVICE_URL, or http://127.0.0.1:$API_PORT)')
    .option('--api-key <key>', 'the API key (default: TASK_SERVICE_API_KEY); never printed')
    .exitOverride()
    .configureOutput({ writeOut: deps.stdout, writeErr: deps.stderr })
    .showHelpAfterError('(add --help for the commands and options)');
  program.addHelpText('after', '\nExit codes: 0 ok, 1 refused or failed, 2 usage, 3 not found, 4 API unreachable, 5 key missing, wrong or read-only.');

  registerDispatch(program, deps);
  registerTasks(program, deps);
  registerDlq(program, deps);
  registerStats(program, deps);
  registerLocal(program, deps, (c) => (code = c));

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    // Asked for help or the version: 0. Anything else commander stops at (an unknown command or
    // option, a missing or bad argument, a command group without its command) is a usage error.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    deps.stderr(`${describeError(error)}\n`);
    return exitCodeOf(error);
  }
}

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadDotEnv } from '#config';
import { runCli } from './program.js';

/**
 * `task-service` (bin/task-service.mjs, `npm run cli --`): wires the command line to this
 * process. `worker` and `migrate` run their app from the same build, in the foreground.
 */
const APPS = {
  worker: { entry: fileURLToPath(new URL('../../worker/src/main.js', import.meta.url)), nodeArgs: ['--max-semi-space-size=2'] },
  migrate: { entry: fileURLToPath(new URL('../../migrate/src/main.js', import.meta.url)), nodeArgs: [] },
} as const;

function runApp(app: keyof typeof APPS, args: string[], env: Record<string, string>): Promise<number> {
  const { entry, nodeArgs } = APPS[app];
  const child = spawn(process.execPath, [...nodeArgs, entry, ...args], { env: { ...process.env, ...env }, stdio: 'inherit' });
  // Ctrl-C reaches the child from the terminal already (one process group); a SIGTERM sent to
  // this process alone (a supervisor) is passed on, so the app drains and exits gracefully.
  const onTerm = () => child.kill('SIGTERM');
  const onInt = () => undefined;
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  return new Promise((resolve) => {
    child.once('error', (error) => {
      process.stderr.write(`error: could not start the ${app}: ${error.message}\n`);
      resolve(1);
    });
    child.once('exit', (code, signal) => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      resolve(code ?? (signal ? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : 2) : 1));
    });
  });
}

// A reader that stops early (`task-service dlq list | head`) closes the pipe: that ends the
// output, not the command with a stack trace. Anything else on stdout is a real failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

loadDotEnv();
process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  runApp,
});

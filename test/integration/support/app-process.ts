import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const ENTRY = {
  api: 'dist/apps/api/src/main.js',
  relay: 'dist/apps/relay/src/main.js',
  worker: 'dist/apps/worker/src/main.js',
} as const;

export type AppName = keyof typeof ENTRY;

/**
 * One app as a real process, started from the build (`npm run test:integration` builds first).
 * Its port is chosen by the OS (port 0) and read from its "listening on port N" line; its output
 * is kept for assertions and printed when a test fails to start it.
 */
export class AppProcess {
  readonly lines: string[] = [];
  port = 0;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private constructor(
    readonly name: AppName,
    readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        this.lines.push(line);
        if (process.env.TEST_APP_OUTPUT) process.stderr.write(`[${name}:${child.pid}] ${line}\n`);
      });
    }
  }

  static async start(name: AppName, env: Record<string, string>, timeoutMs = 20_000): Promise<AppProcess> {
    const child = spawn(process.execPath, [ENTRY[name]], {
      env: { ...process.env, LOG_LEVEL: 'info', API_PORT: '0', HEALTH_CHECK_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const app = new AppProcess(name, child);
    const deadline = Date.now() + timeoutMs;
    while (app.port === 0) {
      const line = app.lines.find((l) => /listening on port \d+/.test(l));
      if (line) app.port = Number(/listening on port (\d+)/.exec(line)![1]);
      else if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${name} did not start:\n${app.lines.join('\n')}`);
      } else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return app;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGTERM and wait for the exit. */
  async stop(timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** kill -9: no shutdown hook runs. */
  async kill(): Promise<void> {
    this.signal('SIGKILL');
    await this.exited;
  }
}

import type { Command } from 'commander';
import { TaskServiceClient } from '#client';
import { ConfigError, loadCliConfig } from '#config';
import { connectionFetch } from './connection.js';
import { UsageError } from './exit-codes.js';
import { createOutput, type Output } from './output.js';

/** What the commands need from outside: the environment, where to write, how to start an app. */
export interface CliDependencies {
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Runs a local app (worker, migrate) in the foreground with `env` over ours; resolves to its exit code. */
  runApp: (app: 'worker' | 'migrate', args: string[], env: Record<string, string>) => Promise<number>;
  /** For tests: the fetch the client uses. */
  fetch?: typeof fetch;
}

/** The global options, given before or after the command. */
export interface GlobalOptions {
  json?: boolean;
  url?: string;
  apiKey?: string;
}

/** One command's view of the global options and the dependencies. */
export class CommandContext {
  constructor(
    readonly deps: CliDependencies,
    private readonly command: Command,
  ) {}

  get options(): GlobalOptions {
    return this.command.optsWithGlobals<GlobalOptions>();
  }

  get output(): Output {
    return createOutput(this.options.json === true, this.deps.stdout);
  }

  /**
   * The typed client of the API at TASK_SERVICE_URL (or --url) with TASK_SERVICE_API_KEY (or
   * --api-key); a request that gets no answer within 30 s, or none at all, is a
   * TaskServiceUnreachableError (exit 4).
   */
  client(): TaskServiceClient {
    const { url, apiKey } = this.options;
    try {
      const config = loadCliConfig(url === undefined ? this.deps.env : { ...this.deps.env, TASK_SERVICE_URL: url }, apiKey);
      return new TaskServiceClient({ baseUrl: config.url, apiKey: config.apiKey, fetch: connectionFetch(config.url, this.deps.fetch) });
    } catch (error) {
      if (error instanceof ConfigError) {
        const problems = error.problems.map((p) => `${p.variable === 'TASK_SERVICE_URL' && url !== undefined ? '--url' : p.variable} ${p.message}`);
        throw new UsageError(problems.join('; '));
      }
      throw error;
    }
  }
}

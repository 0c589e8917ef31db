import type { LoggerService } from '@nestjs/common';
import { type DestinationStream, type Logger as Pino, pino } from 'pino';
import type { LogFormat, LogLevel } from '#config';
import { currentLogContext } from './correlation.js';
import { formatPretty } from './pretty-format.js';
import { censorFields, isSecretKey, REDACT_PATHS, REDACTED, scrubSecrets } from './redaction.js';

/** Nest's start-up chatter (one line per module and route) is for debugging, not for operators. */
const QUIET_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']);
/** How Nest hands over an error's stack: a string with V8's frame lines. */
const STACK = /\n\s+at /;

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug';
type Fields = Record<string, unknown>;

export interface AppLoggerOptions {
  level: LogLevel;
  /** `json` (the default) or `pretty`. */
  format?: LogFormat;
  /** `api`, `relay`, `worker`, `migrate`: the `app` field of every line. */
  app?: string;
  /** Where lines go; standard output by default. */
  out?: NodeJS.WritableStream;
  /** Pretty lines in colour; by default when `out` is a terminal or FORCE_COLOR asks for it, never with NO_COLOR. */
  colours?: boolean;
  /** Values removed from every line wherever they appear (the configured API keys). */
  secrets?: readonly string[];
}

/**
 * The one logger of every app, over pino: one JSON object per line (`time`, `level`, `app`,
 * `pid`, `context`, `msg`, then fields), or one readable line with `format: 'pretty'`. It is
 * Nest's LoggerService, so Nest's own messages and every `new Logger(context)` of our code come
 * through it. A call passes fields as an object after the message:
 *
 * ```ts
 * this.logger.debug('task completed', { taskId, type, attempt });
 * this.logger.warn('lease renewal failed', error);
 * ```
 *
 * Every line also carries the fields of the request or task being handled (see
 * `withLogContext`). Errors become an `err` field with their message, and their stack at
 * `debug`. Credentials never reach a line: pino censors secret-named fields (and this class
 * those deeper down, in any letter case), and every message and string field is scrubbed of
 * URL passwords, Authorization credentials and the API keys.
 */
export class AppLogger implements LoggerService {
  private readonly pino: Pino;
  private readonly secrets: readonly string[];
  private readonly withStacks: boolean;

  constructor(options: AppLoggerOptions) {
    this.secrets = (options.secrets ?? []).filter((s) => s.length > 0);
    this.withStacks = options.level === 'debug';
    this.pino = pino(
      {
        level: options.level,
        base: options.app ? { app: options.app, pid: process.pid } : { pid: process.pid },
        timestamp: pino.stdTimeFunctions.isoTime,
        // Level names, not numbers: `"level":"warn"` is what a person greps for.
        formatters: { level: (label) => ({ level: label }) },
        redact: { paths: [...REDACT_PATHS], censor: REDACTED },
        // `err` is built by this class (see errorFields); pino's own error serializer would redo it.
        serializers: { err: (err: unknown) => err },
      },
      destinationOf(options),
    );
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  /** Whether a line at `level` would be written: for a caller that would build costly fields. */
  isLevelEnabled(level: LogLevel): boolean {
    return this.pino.isLevelEnabled(level);
  }

  /**
   * Nest calls `log(message, ...params, context)`; `error(message, stack, context)` for an
   * error. The params may hold an object of fields, an Error, or a stack.
   */
  private write(level: Level, message: unknown, rest: unknown[]): void {
    const last = rest.at(-1);
    const context = typeof last === 'string' && !STACK.test(last) ? last : undefined;
    if (level === 'info' && context && QUIET_CONTEXTS.has(context)) level = 'debug';
    if (!this.pino.isLevelEnabled(level)) return;
    const params = context === undefined ? rest : rest.slice(0, -1);

    const fields: Fields = {};
    const scope = currentLogContext();
    if (scope) for (const [key, value] of Object.entries(scope)) if (value !== undefined) fields[key] = value;
    if (context) fields.context = context;

    let msg = '';
    let error: unknown;
    let stack: string | undefined;
    if (message instanceof Error) {
      error = message;
      msg = message.message;
    } else if (typeof message === 'string') {
      msg = message;
    } else if (message !== null && typeof message === 'object') {
      const { msg: text, ...more } = message as Fields;
      Object.assign(fields, more);
      if (typeof text === 'string') msg = text;
    } else if (message !== undefined) {
      msg = textOf(message);
    }
    for (const param of params) {
      if (param === undefined || param === null) continue;
      if (param instanceof Error) error = param;
      else if (typeof param === 'string') {
        if (STACK.test(param)) stack = param;
        else msg = msg ? `${msg} ${param}` : param;
      } else if (typeof param === 'object') Object.assign(fields, param);
      else msg = msg ? `${msg} ${textOf(param)}` : textOf(param);
    }
    if (fields.err !== undefined) {
      error = fields.err;
      delete fields.err;
    }

    for (const [key, value] of Object.entries(fields)) {
      if (isSecretKey(key)) fields[key] = REDACTED;
      else if (typeof value === 'string') fields[key] = this.scrub(value);
      else if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)) {
        fields[key] = censorFields(value as Fields, this.secrets);
      }
    }
    const err = this.errorFields(error, stack);
    if (err) fields.err = err;
    this.pino[level](fields, this.scrub(msg));
  }

  /** An error as a field: its type, message and code; its stack only at `debug`. */
  private errorFields(error: unknown, stack: string | undefined): Fields | undefined {
    if (error === undefined) return stack && this.withStacks ? { stack: this.scrub(stack) } : undefined;
    if (!(error instanceof Error)) return { message: this.scrub(textOf(error)) };
    const fields: Fields = { type: error.name, message: this.scrub(error.message) };
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' || typeof code === 'number') fields.code = code;
    const trace = stack ?? error.stack;
    if (this.withStacks && trace) fields.stack = this.scrub(trace);
    return fields;
  }

  private scrub(text: string): string {
    return scrubSecrets(text, this.secrets);
  }
}

/** A value that is not a string, as text: a number as itself, an object as JSON. */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return value.toString();
  if (typeof value === 'symbol' || typeof value === 'function') return value.toString();
  if (value === null || value === undefined) return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function destinationOf(options: AppLoggerOptions): DestinationStream {
  if (options.format === 'pretty') {
    const out = options.out ?? process.stdout;
    const colours = options.colours ?? coloursFor(out);
    return { write: (line: string) => void out.write(formatPretty(JSON.parse(line) as Fields, colours)) };
  }
  if (options.out) {
    const out = options.out;
    return { write: (line: string) => void out.write(line) };
  }
  // Standard output through pino's own writer, straight to file descriptor 1 (process.stdout is
  // left alone: creating it would make the descriptor non-blocking). Asynchronous: a slow reader
  // of the pipe (a log shipper, a test) delays the lines, never the event loop; pino writes what
  // is still buffered synchronously when the process exits, so the lines before a process.exit
  // are kept. A SIGKILL loses at most the line being written and those queued behind it.
  return pino.destination({ fd: 1, sync: false });
}

function coloursFor(out: NodeJS.WritableStream): boolean {
  if (process.env.NO_COLOR) return false;
  const force = process.env.FORCE_COLOR;
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') return true;
  return (out as { isTTY?: boolean }).isTTY === true;
}

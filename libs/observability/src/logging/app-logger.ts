import type { LoggerService } from '@nestjs/common';
import type { LogLevel } from '#config';
import { currentCorrelationId } from './correlation.js';

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };
/** Nest's start-up chatter (one line per module and route) is for debugging, not for operators. */
const QUIET_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory']);

/**
 * One line per event: time, level, context, message, and the correlation id of the request or
 * task being handled. Errors print their message, and their stack only at `debug`.
 */
export class AppLogger implements LoggerService {
  constructor(
    private readonly level: LogLevel,
    private readonly out: NodeJS.WritableStream = process.stdout,
  ) {}

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

  private write(level: LogLevel, message: unknown, rest: unknown[]): void {
    // Nest passes the context last; an error's stack comes before it.
    const context = rest.length > 0 && typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    if (level === 'info' && context && QUIET_CONTEXTS.has(context)) level = 'debug';
    if (RANK[level] > RANK[this.level]) return;
    const correlationId = currentCorrelationId();
    let text = message instanceof Error ? message.message : typeof message === 'string' ? message : JSON.stringify(message);
    const stack = rest.find((r): r is string => typeof r === 'string' && r.includes('\n    at '));
    if (stack && this.level === 'debug') text += `\n${stack}`;
    const line = [
      new Date().toISOString(),
      level.toUpperCase().padEnd(5),
      context ? `[${context}]` : undefined,
      text,
      correlationId ? `correlationId=${correlationId}` : undefined,
    ]
      .filter(Boolean)
      .join(' ');
    this.out.write(`${line}\n`);
  }
}

/** One log record as pino writes it (see AppLogger): `time`, `level`, `msg` and the fields. */
export type LogRecord = Record<string, unknown>;

const ANSI = { reset: '\x1b[0m', dim: '\x1b[2m', red: '\x1b[31m', yellow: '\x1b[33m', green: '\x1b[32m', cyan: '\x1b[36m', magenta: '\x1b[35m' };
const LEVEL_COLOUR: Record<string, string> = { fatal: ANSI.magenta, error: ANSI.red, warn: ANSI.yellow, info: ANSI.green, debug: ANSI.dim };
/** Shown by the prefix of `npm start`, or the same on every line of one process. */
const LEFT_OUT = new Set(['time', 'level', 'msg', 'context', 'app', 'pid', 'err']);
/** The fields that follow a task come first, in this order, so the eye finds them. */
const FIRST = ['taskId', 'type', 'attempt', 'correlationId'];

/**
 * One record as one line for a person at a terminal: `HH:MM:SS.mmm LEVEL [Context] message`,
 * then the fields as `key=value` (the task's first), then an error's stack, when the line has
 * one, indented below. With `colours`, the level, the context and the field names are coloured.
 */
export function formatPretty(record: LogRecord, colours: boolean): string {
  const paint = (colour: string, text: string) => (colours ? `${colour}${text}${ANSI.reset}` : text);
  const level = typeof record.level === 'string' ? record.level : 'info';
  const parts = [paint(ANSI.dim, clock(record.time)), paint(LEVEL_COLOUR[level] ?? '', level.toUpperCase().padEnd(5))];
  if (typeof record.context === 'string') parts.push(paint(ANSI.cyan, `[${record.context}]`));
  parts.push(typeof record.msg === 'string' ? record.msg : '');

  const keys = [...FIRST.filter((k) => k in record), ...Object.keys(record).filter((k) => !LEFT_OUT.has(k) && !FIRST.includes(k))];
  for (const key of keys) {
    if (record[key] === undefined) continue;
    parts.push(`${paint(ANSI.dim, `${key}=`)}${value(record[key])}`);
  }
  const err = record.err as { message?: unknown; stack?: unknown; code?: unknown } | undefined;
  if (err && typeof err === 'object') {
    if (typeof err.code === 'string') parts.push(`${paint(ANSI.dim, 'code=')}${err.code}`);
    if (typeof err.message === 'string' && !(typeof record.msg === 'string' && record.msg.includes(err.message))) {
      parts.push(`${paint(ANSI.dim, 'error=')}${value(err.message)}`);
    }
  }
  let line = parts.filter((p) => p !== '').join(' ');
  if (err && typeof err.stack === 'string') line += `\n${err.stack.replace(/^/gm, '    ')}`;
  return `${line}\n`;
}

function clock(time: unknown): string {
  const date = typeof time === 'string' || typeof time === 'number' ? new Date(time) : new Date();
  return Number.isNaN(date.getTime()) ? String(time) : date.toISOString().slice(11, 23);
}

function value(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return JSON.stringify(v);
}

import { InvalidArgumentError } from 'commander';

/** Parsers of option and argument values: a bad one is a usage error (exit 2) naming what is accepted. */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PRIORITIES = ['LOW', 'MEDIUM', 'HIGH'] as const;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

export function taskId(value: string): string {
  if (!UUID.test(value)) throw new InvalidArgumentError('must be a task id (a UUID).');
  return value.toLowerCase();
}

export function wholeNumber(min: number, max: number): (value: string) => number {
  return (value) => {
    const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!(parsed >= min && parsed <= max)) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}.`);
    return parsed;
  };
}

export function priority(value: string): (typeof PRIORITIES)[number] {
  const upper = value.toUpperCase();
  if (!(PRIORITIES as readonly string[]).includes(upper)) throw new InvalidArgumentError(`must be one of ${PRIORITIES.join(', ')}.`);
  return upper as (typeof PRIORITIES)[number];
}

export function jsonObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('must be a JSON object, e.g. \'{"ms": 500}\'.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidArgumentError('must be a JSON object, e.g. \'{"ms": 500}\'.');
  return parsed as Record<string, unknown>;
}

/**
 * `--since`: an ISO 8601 time with a zone (`2026-11-25T10:00:00Z`), or an age back from now
 * (`90s`, `30m`, `2h`, `7d`). Sent to the API as an ISO time.
 */
export function since(value: string, now: () => number = Date.now): string {
  const age = /^(\d{1,9})([smhd])$/.exec(value);
  if (age) return new Date(now() - Number(age[1]) * UNIT_SECONDS[age[2]] * 1000).toISOString();
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/.test(value) && !Number.isNaN(Date.parse(value))) return value;
  throw new InvalidArgumentError('must be an ISO time with a zone (2026-11-25T10:00:00Z) or an age like 30m, 2h, 7d.');
}

/** A comma list of names (queues, types): trimmed, none empty. */
export function commaList(value: string): string {
  const items = value.split(',').map((v) => v.trim());
  if (items.length === 0 || items.some((v) => v === '' || /\s/.test(v))) throw new InvalidArgumentError('must be a comma list of names without spaces.');
  return items.join(',');
}

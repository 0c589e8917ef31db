import { UUID_PATTERN } from '#tasks';

/** The opaque keyset cursor of `GET /tasks`: base64url of `[createdAt, id]` of the last item. */
export interface CursorPosition {
  createdAt: string;
  id: string;
}

/** Postgres' text form of a timestamptz, e.g. `2026-11-25 17:41:02.123456+00` or `…+05:30`. */
const PG_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?([+-])(\d{2})(?::(\d{2}))?$/;

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString('base64url');
}

/** The position, or null when the string is not a cursor this API made. */
export function decodeCursor(cursor: string): CursorPosition | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return null;
    const [createdAt, id] = value as unknown[];
    if (typeof createdAt !== 'string' || typeof id !== 'string' || !isTimestamp(createdAt) || !UUID_PATTERN.test(id)) return null;
    return { createdAt, id };
  } catch {
    return null;
  }
}

/**
 * A timestamp Postgres will read: the shape, and a date that exists (no month 13, no 30
 * February, no hour 24) with an offset within ±15:59. Checked here because Postgres would refuse
 * the rest with an error, not a row.
 */
function isTimestamp(text: string): boolean {
  const match = PG_TIMESTAMP.exec(text);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const offsetHours = Number(match[9]);
  const offsetMinutes = Number(match[10] ?? 0);
  if (year < 1 || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59 || offsetHours > 15 || offsetMinutes > 59) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  // Date.UTC maps years 0–99 to 1900–1999; set the year again so 0001 stays 0001.
  date.setUTCFullYear(year);
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

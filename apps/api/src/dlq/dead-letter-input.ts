import type { DeadLetterFilter } from '#database';
import { type FieldError, TASK_TYPE_PATTERN, UUID_PATTERN } from '#tasks';
import { decodeCursor } from '../tasks/cursor.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../tasks/list-tasks-query.pipe.js';

/** A reason as the DLQ names it (`max-attempts-exhausted`, ...): lower-case words and dashes. */
const REASON_PATTERN = /^[a-z][a-z-]{0,63}$/;
/** An ISO 8601 date-time with a zone, as `since` takes it: `2026-11-25T10:00:00Z`, `…+02:00`. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;

/** The filters of a DLQ call, as given (query string or replay body). */
export interface DeadLetterFilterInput {
  type?: string;
  reason?: string;
  since?: string;
}

/** The typed filter, with every bad field pushed to `errors`. */
export function parseDeadLetterFilter(input: DeadLetterFilterInput, errors: FieldError[]): DeadLetterFilter {
  const types = input.type === undefined ? null : splitList(input.type);
  if (types && (types.length === 0 || types.some((t) => !TASK_TYPE_PATTERN.test(t)))) {
    errors.push({ field: 'type', message: 'must be a task type name or a comma list of them' });
  }
  const reasons = input.reason === undefined ? null : splitList(input.reason);
  if (reasons && (reasons.length === 0 || reasons.some((r) => !REASON_PATTERN.test(r)))) {
    errors.push({ field: 'reason', message: 'must be a reason (lower-case words and dashes, e.g. max-attempts-exhausted) or a comma list of them' });
  }
  let since: Date | null = null;
  if (input.since !== undefined) {
    since = ISO_TIME.test(input.since) ? new Date(input.since) : null;
    if (!since || Number.isNaN(since.getTime()) || since.getUTCFullYear() < 1970 || since.getUTCFullYear() > 9999) {
      errors.push({ field: 'since', message: 'must be an ISO 8601 date-time with a zone, e.g. 2026-11-25T10:00:00Z' });
      since = null;
    }
  }
  return { types, reasons, since };
}

/** `limit` (1–100, 20 when absent) and `cursor` of a page, with every bad field pushed to `errors`. */
export function parsePage(input: { limit?: string; cursor?: string }, errors: FieldError[]): { after: { failedAt: string; id: string } | null; limit: number } {
  let limit = DEFAULT_PAGE_SIZE;
  if (input.limit !== undefined) {
    limit = /^\d{1,3}$/.test(input.limit) ? Number(input.limit) : Number.NaN;
    if (!(limit >= 1 && limit <= MAX_PAGE_SIZE)) errors.push({ field: 'limit', message: `must be a whole number from 1 to ${MAX_PAGE_SIZE}` });
  }
  const position = input.cursor === undefined ? null : decodeCursor(input.cursor);
  if (input.cursor !== undefined && !position) errors.push({ field: 'cursor', message: 'is not a cursor from a previous page (use nextCursor as given)' });
  return { after: position ? { failedAt: position.createdAt, id: position.id } : null, limit };
}

/** What a replay selects: named tasks, or every FAILED task a filter matches (`all`: an empty filter). */
export type ReplaySelection = { kind: 'ids'; ids: string[] } | { kind: 'filter'; filter: DeadLetterFilter };

/**
 * The selection of `POST /dlq/replay`, whose shape the DTO checked: exactly one of `ids`, a
 * filter, or `all: true`. Ids are lower-cased and de-duplicated.
 */
export function parseReplaySelection(body: DeadLetterFilterInput & { ids?: string[]; all?: boolean }, errors: FieldError[]): ReplaySelection | null {
  // class-validator's IsOptional lets null through; a null field is given, and wrong.
  const nulls = (['ids', 'type', 'reason', 'since', 'all'] as const).filter((field) => (body as Record<string, unknown>)[field] === null);
  if (nulls.length > 0) {
    for (const field of nulls) errors.push({ field, message: 'must not be null; leave it out instead' });
    return null;
  }
  const hasFilter = body.type !== undefined || body.reason !== undefined || body.since !== undefined;
  const given = [body.ids !== undefined, hasFilter, body.all === true].filter(Boolean).length;
  if (given !== 1) {
    errors.push({
      field: given === 0 ? 'body' : body.ids !== undefined ? 'ids' : 'all',
      message: 'give exactly one of: ids; a filter (type, reason, since); or all: true',
    });
    return null;
  }
  if (body.ids !== undefined) {
    const ids = [...new Set(body.ids.map((id) => id.toLowerCase()))];
    if (ids.some((id) => !UUID_PATTERN.test(id))) errors.push({ field: 'ids', message: 'each must be a UUID' });
    return { kind: 'ids', ids };
  }
  return { kind: 'filter', filter: parseDeadLetterFilter(body, errors) };
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

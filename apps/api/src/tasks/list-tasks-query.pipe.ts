import { Injectable, type PipeTransform } from '@nestjs/common';
import type { TaskListQuery } from '#database';
import { type FieldError, TASK_PRIORITIES, TASK_STATUSES, TASK_TYPE_PATTERN } from '#tasks';
import { createValidationPipe } from '../http/validation.js';
import { ApiError } from '../problems/api-error.js';
import { decodeCursor } from './cursor.js';
import { ListTasksQuery } from './dto/list-tasks.query.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/**
 * The query string of `GET /tasks` as the repository's typed query. First its shape, as every
 * DTO (no unknown parameter, each a string within its length), then its values: each filter one
 * value or a comma list of known ones, `limit` a whole number from 1 to 100 (20 when absent),
 * `cursor` one this API made. Every bad field is named in one 400.
 *
 * The handler's parameter is typed as the result, which the global ValidationPipe skips, so the
 * shape is checked here with the same pipe, against ListTasksQuery.
 */
@Injectable()
export class ListTasksQueryPipe implements PipeTransform<unknown, Promise<TaskListQuery>> {
  private readonly shape = createValidationPipe();

  async transform(value: unknown): Promise<TaskListQuery> {
    const query = (await this.shape.transform(value, { type: 'query', metatype: ListTasksQuery })) as ListTasksQuery;
    const errors: FieldError[] = [];
    const statuses = parseList(query.status, 'status', TASK_STATUSES, errors);
    const priorities = parseList(query.priority, 'priority', TASK_PRIORITIES, errors);
    const types = query.type === undefined ? null : splitList(query.type);
    if (types && (types.length === 0 || types.some((t) => !TASK_TYPE_PATTERN.test(t)))) {
      errors.push({ field: 'type', message: 'must be a task type name or a comma list of them' });
    }
    let limit = DEFAULT_PAGE_SIZE;
    if (query.limit !== undefined) {
      limit = /^\d{1,3}$/.test(query.limit) ? Number(query.limit) : Number.NaN;
      if (!(limit >= 1 && limit <= MAX_PAGE_SIZE)) errors.push({ field: 'limit', message: `must be a whole number from 1 to ${MAX_PAGE_SIZE}` });
    }
    const after = query.cursor === undefined ? null : decodeCursor(query.cursor);
    if (query.cursor !== undefined && !after) errors.push({ field: 'cursor', message: 'is not a cursor from a previous page (use nextCursor as given)' });
    if (errors.length > 0) throw ApiError.validation(errors);
    return { statuses, priorities, types, after, limit };
  }
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

function parseList<T extends string>(value: string | undefined, field: string, allowed: readonly T[], errors: FieldError[]): T[] | null {
  if (value === undefined) return null;
  const items = splitList(value);
  const unknown = items.filter((v) => !(allowed as readonly string[]).includes(v));
  if (items.length === 0 || unknown.length > 0) {
    errors.push({ field, message: `must be one of ${allowed.join(', ')}, or a comma list of them` });
    return null;
  }
  return items as T[];
}

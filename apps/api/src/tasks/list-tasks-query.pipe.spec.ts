import { TaskPriority, TaskStatus } from '#tasks';
import { ApiError } from '../problems/api-error.js';
import { encodeCursor } from './cursor.js';
import { ListTasksQueryPipe } from './list-tasks-query.pipe.js';

const position = { createdAt: '2026-11-25 17:41:02.123456+00', id: '7d444840-9dc0-41d1-b245-5ffdce74fad2' };

/** The field names of the 400 the pipe answers `query` with; fails the test when it answers none. */
async function refusedFields(query: Record<string, unknown>): Promise<string[]> {
  const sut = new ListTasksQueryPipe();
  const error: unknown = await sut.transform(query).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  expect((error as ApiError).code).toBe('VALIDATION_FAILED');
  return ((error as ApiError).errors ?? []).map((e) => e.field);
}

describe(ListTasksQueryPipe.name, () => {
  it('reads an empty query as no filter, the first page, 20 items', async () => {
    const sut = new ListTasksQueryPipe();

    await expect(sut.transform({})).resolves.toEqual({ statuses: null, priorities: null, types: null, after: null, limit: 20 });
  });

  it('reads one value or a comma list for each filter, with spaces and empty items dropped', async () => {
    const sut = new ListTasksQueryPipe();

    const query = await sut.transform({ status: 'FAILED, CANCELLED,', priority: 'HIGH', type: 'sleep,noop , report.daily', limit: '100' });

    expect(query).toEqual({
      statuses: [TaskStatus.FAILED, TaskStatus.CANCELLED],
      priorities: [TaskPriority.HIGH],
      types: ['sleep', 'noop', 'report.daily'],
      after: null,
      limit: 100,
    });
  });

  it('reads the position back from a cursor this API made', async () => {
    const sut = new ListTasksQueryPipe();

    const query = await sut.transform({ cursor: encodeCursor(position), limit: '1' });

    expect(query.after).toEqual(position);
    expect(query.limit).toBe(1);
  });

  it.each(['0', '101', '-1', 'abc', '1e2', '20.5', '', ' 20', '0020'])('refuses limit %p', async (limit) => {
    await expect(refusedFields({ limit })).resolves.toEqual(['limit']);
  });

  it.each([
    ['an unknown status', { status: 'DONE' }, ['status']],
    ['a status list with an unknown one', { status: 'NEW,done' }, ['status']],
    ['an empty status', { status: ',' }, ['status']],
    ['an unknown priority', { priority: 'URGENT' }, ['priority']],
    ['a type that is no type name', { type: 'Sleep' }, ['type']],
    ['an empty type list', { type: ' , ' }, ['type']],
    ['a cursor that is not base64url', { cursor: '!!garbage!!' }, ['cursor']],
    ['a cursor of another shape', { cursor: Buffer.from('["x","y"]').toString('base64url') }, ['cursor']],
  ])('refuses %s', async (_name, query, fields) => {
    await expect(refusedFields(query)).resolves.toEqual(fields);
  });

  it('names every bad value in one answer', async () => {
    await expect(refusedFields({ status: 'DONE', priority: 'URGENT', type: 'A', limit: '0', cursor: 'x' })).resolves.toEqual([
      'status',
      'priority',
      'type',
      'limit',
      'cursor',
    ]);
  });

  it.each([
    ['an unknown parameter', { page: '2' }, 'page'],
    ['a parameter given twice (an array)', { status: ['NEW', 'FAILED'] }, 'status'],
    ['a status longer than 200 characters', { status: 'NEW,'.repeat(51) }, 'status'],
    ['a cursor longer than 200 characters', { cursor: 'A'.repeat(201) }, 'cursor'],
  ])('refuses the shape of %s before reading any value', async (_name, query, field) => {
    const fields = await refusedFields(query);

    expect(new Set(fields)).toEqual(new Set([field]));
  });
});

import { decodeCursor, encodeCursor } from './cursor.js';

const ID = '7d444840-9dc0-41d1-b245-5ffdce74fad2';
const cursorOf = (createdAt: unknown, id: unknown = ID) => Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');

describe(decodeCursor.name, () => {
  it.each([
    '2026-11-25 17:41:02.123456+00',
    '2026-11-25 17:41:02+05:30',
    '2024-02-29 23:59:59.1-12',
    '0001-01-01 00:00:00+00',
    '9999-12-31 23:59:59.999999+15:59',
  ])('reads back the cursor of %s', (createdAt) => {
    const sut = decodeCursor(encodeCursor({ createdAt, id: ID }));

    expect(sut).toEqual({ createdAt, id: ID });
  });

  it.each([
    '2026-13-01 00:00:00+00',
    '2026-00-01 00:00:00+00',
    '2026-02-29 00:00:00+00',
    '2026-04-31 00:00:00+00',
    '2026-01-00 00:00:00+00',
    '2026-01-01 24:00:00+00',
    '2026-01-01 00:60:00+00',
    '2026-01-01 00:00:60+00',
    '0000-01-01 00:00:00+00',
    '2026-01-01 00:00:00+16',
    '2026-01-01 00:00:00+00:60',
    '2026-01-01T00:00:00Z',
  ])('refuses a cursor whose date Postgres could not read: %s', (createdAt) => {
    expect(decodeCursor(cursorOf(createdAt))).toBeNull();
  });

  it.each([[1e308], [null], [['2026-01-01 00:00:00+00']]])('refuses a cursor whose date is not a string: %j', (createdAt) => {
    expect(decodeCursor(cursorOf(createdAt))).toBeNull();
  });

  it.each(['not-a-uuid', '7d444840-9dc0-41d1-b245-5ffdce74fad', 42])('refuses a cursor whose id is not a UUID: %j', (id) => {
    expect(decodeCursor(cursorOf('2026-11-25 17:41:02+00', id))).toBeNull();
  });

  it.each(['', '***', 'a'.repeat(201), Buffer.from('{"a":1}').toString('base64url')])('refuses %j', (cursor) => {
    expect(decodeCursor(cursor)).toBeNull();
  });
});

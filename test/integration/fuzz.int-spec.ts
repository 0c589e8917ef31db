import fc from 'fast-check';
import request from 'supertest';
import { type ApiUnderTest, Suite } from './support/suite.js';

/**
 * No request gets a 5xx for what it sent: a property-based fuzz (fast-check) of bodies, query
 * strings, cursors, headers and path ids against the API in-process on the real Postgres. Every
 * answer must be a 2xx (for valid input) or a 4xx RFC 9457 problem, and a refused request must
 * leave every table as it was.
 *
 * Bounded for CI: FUZZ_RUNS runs per property (default 200) and FUZZ_SECONDS per property
 * (default 10; a property stopped by the time limit passes with the runs it made). The seed is
 * fixed and printed; FUZZ_SEED replays a run, and a failure prints the seed and path to replay
 * the smallest input found.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261125);
const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const SECONDS = Number(process.env.FUZZ_SECONDS ?? 10);
const KEY = 'fuzz-suite-key-0123456789abcdef';
const AUTH = { Authorization: `Bearer ${KEY}` };
const TASKS = '/api/v1/tasks';

/** What a header value may hold on the wire (Node refuses the rest before sending). */
const headerText = (maxLength: number) =>
  fc.string({
    unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.constant(0x09), fc.integer({ min: 0x80, max: 0xff })).map((c) => String.fromCharCode(c)),
    maxLength,
  });

/** Strings with what breaks things: NUL, lone surrogates, astral characters, control characters. */
const nastyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('\u0000', '\ud800', '\udfff', '\ud83d\ude00', 'é', '\u202e', '\n', "'", '"', '\\', '%', '𝒳'), maxLength: 20 }),
  fc.constantFrom('', ' ', 'x'.repeat(201), 'x'.repeat(5001), '1e309', 'NaN', 'null', 'undefined', '__proto__', 'constructor'),
);

/** Numbers a JSON body may carry, including ones JavaScript and Postgres read differently. */
const nastyNumber = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 1, 20, 21, 2 ** 31, 2 ** 53, -(2 ** 53), 1e308, 5e-324, Number.MAX_SAFE_INTEGER + 2),
);

/** Dates in every shape: valid, impossible (month 13, Feb 30, hour 25), far past and future, not dates. */
const dateText = fc.oneof(
  fc.date({ noInvalidDate: true, min: new Date(-8_000_000_000_000_000), max: new Date(8_000_000_000_000_000) }).map((d) => d.toISOString()),
  fc
    .tuple(
      fc.integer({ min: 0, max: 300_000 }),
      fc.integer({ min: 0, max: 99 }),
      fc.integer({ min: 0, max: 99 }),
      fc.integer({ min: 0, max: 99 }),
      fc.integer({ min: 0, max: 99 }),
      fc.integer({ min: 0, max: 99 }),
      fc.constantFrom('Z', '+00:00', '+14:00', '-12:00', '+99:99', '+00', ''),
    )
    .map(([y, mo, d, h, mi, s, z]) => `${String(y).padStart(4, '0')}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}${z}`),
  fc.constantFrom(
    '0000-01-01T00:00:00Z',
    '+275760-09-13T00:00:00.000Z',
    '+275761-01-01T00:00:00Z',
    '-271821-04-19T00:00:00Z',
    '9999-12-31T23:59:60Z',
    '2026-02-29T00:00:00Z',
    '2024-02-29T24:00:00Z',
    'infinity',
    'epoch',
    'now',
  ),
  nastyString,
);

/** Timestamps in Postgres' text form, as a cursor holds them, valid or not. */
const pgTimestamp = fc
  .tuple(
    fc.oneof(fc.integer({ min: 1970, max: 2100 }), fc.integer({ min: 0, max: 9999 })),
    fc.oneof(fc.integer({ min: 1, max: 13 }), fc.integer({ min: 0, max: 99 })),
    fc.oneof(fc.integer({ min: 1, max: 32 }), fc.integer({ min: 0, max: 99 })),
    fc.oneof(fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 99 })),
    fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 99 })),
    fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 99 })),
    fc.integer({ min: 0, max: 999_999 }),
    fc.constantFrom('+00', '-05', '+05:30', '+14', '+15', '+16', '-99', '+00:99', '+99:00'),
  )
  .map(([y, mo, d, h, mi, s, us, z]) => `${String(y).padStart(4, '0')}-${pad(mo)}-${pad(d)} ${pad(h)}:${pad(mi)}:${pad(s)}.${String(us).padStart(6, '0')}${z}`);

const uuidish = fc.oneof(
  fc.uuid(),
  fc.constantFrom(
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    'FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF',
    '7d444840-9dc0-41d1-b245-5ffdce74fad',
  ),
  nastyString,
);

/** A cursor: base64url of `[createdAt, id]`, with impossible dates, huge numbers, non-UUIDs; or any string. */
const cursor = fc.oneof(
  { arbitrary: fc.tuple(pgTimestamp, fc.uuid()).map((pair) => Buffer.from(JSON.stringify(pair)).toString('base64url')), weight: 3 },
  fc.tuple(fc.oneof(pgTimestamp, dateText, nastyNumber), uuidish).map((pair) => Buffer.from(JSON.stringify(pair)).toString('base64url')),
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? '').toString('base64url')),
  fc.string({ maxLength: 250 }),
);

const anyJson = fc.jsonValue({ maxDepth: 4 });
const fieldValue = fc.oneof(nastyString, nastyNumber, fc.boolean(), fc.constant(null), anyJson);

/**
 * Mostly a valid value, sometimes a hostile one: a request reaches Postgres only when every other
 * field passed validation, so each field is hostile on its own now and then, not all at once.
 */
const mostly = <T, U>(valid: fc.Arbitrary<T>, hostile: fc.Arbitrary<U>) => fc.oneof({ arbitrary: valid, weight: 4 }, { arbitrary: hostile, weight: 1 });

/** Something shaped like a task, each field absent, valid or hostile. */
const taskish = fc
  .record(
    {
      title: mostly(
        fc.string({ minLength: 1, maxLength: 30 }).filter((t) => t.trim() !== ''),
        fc.oneof(nastyString, fieldValue),
      ),
      type: mostly(fc.constantFrom('noop', 'sleep', 'fail', 'http.request'), fc.oneof(fc.constantFrom('unknown.type', 'NOOP', ''), nastyString, fieldValue)),
      description: mostly(fc.oneof(fc.string({ maxLength: 100 }), fc.constant(null)), fc.oneof(nastyString, fieldValue)),
      priority: mostly(fc.constantFrom('LOW', 'MEDIUM', 'HIGH'), fc.oneof(fc.constantFrom('low', 'URGENT'), fieldValue)),
      payload: mostly(
        fc.constant({}),
        fc.oneof(
          fc.record({ ms: fc.oneof(nastyNumber, fieldValue) }, { requiredKeys: [] }),
          fc.record({ times: fieldValue, permanent: fieldValue, message: fieldValue }, { requiredKeys: [] }),
          fc.record({ url: fieldValue, method: fieldValue, headers: fieldValue, body: fieldValue, timeoutMs: fieldValue }, { requiredKeys: [] }),
          fc.dictionary(nastyString, fieldValue, { maxKeys: 4 }),
          fieldValue,
        ),
      ),
      maxAttempts: mostly(fc.integer({ min: 1, max: 20 }), fc.oneof(nastyNumber, fieldValue)),
      runAt: mostly(
        fc.date({ noInvalidDate: true, min: new Date('2000-01-01'), max: new Date('2999-01-01') }).map((d) => d.toISOString()),
        dateText,
      ),
    },
    { requiredKeys: [] },
  )
  .chain((task) =>
    mostly(
      fc.constant(task),
      fieldValue.map((extra) => ({ ...task, extra })),
    ),
  );

const listQuery = fc
  .record(
    {
      status: mostly(fc.constantFrom('NEW', 'FAILED,CANCELLED', 'PENDING, RETRYING'), fc.oneof(fc.constantFrom('new', 'NEW,,', ','), nastyString)),
      priority: mostly(fc.constantFrom('HIGH', 'LOW,MEDIUM,HIGH'), fc.oneof(fc.constantFrom('high'), nastyString)),
      type: mostly(fc.constantFrom('noop', 'sleep,noop'), fc.oneof(fc.constant('x'.repeat(101)), nastyString)),
      limit: mostly(
        fc.integer({ min: 1, max: 100 }).map(String),
        fc.oneof(fc.constantFrom('0', '101', '-1', '1.5', '1e2', '007', '99999999999999999999'), nastyNumber.map(String), nastyString),
      ),
      cursor,
    },
    { requiredKeys: [] },
  )
  .chain((query) =>
    mostly(
      fc.constant(query),
      nastyString.map((other) => ({ ...query, other })),
    ),
  );

/** The filters of the DLQ's reads and replays, each absent, valid or hostile. */
const dlqFilter = {
  type: mostly(fc.constantFrom('fail', 'fail,http.request'), fc.oneof(fc.constant('x'.repeat(101)), nastyString)),
  reason: mostly(fc.constantFrom('permanent-error', 'timeout,worker-lost'), fc.oneof(fc.constantFrom('Permanent', 'a,,b'), nastyString)),
  since: mostly(
    fc.date({ noInvalidDate: true, min: new Date('2000-01-01'), max: new Date('2999-01-01') }).map((d) => d.toISOString()),
    dateText,
  ),
};

const dlqQuery = fc.record({ ...dlqFilter, limit: listQuery.map((q) => q.limit ?? '20'), cursor }, { requiredKeys: [] }).chain((query) =>
  mostly(
    fc.constant(query as Record<string, string>),
    nastyString.map((other) => ({ ...(query as Record<string, string>), other })),
  ),
);

const replayBody = fc.oneof(
  fc.record(
    { ids: mostly(fc.array(fc.uuid(), { minLength: 1, maxLength: 3 }), fc.oneof(fc.array(uuidish, { maxLength: 3 }), fieldValue)) },
    { requiredKeys: [] },
  ),
  fc.record({ ...dlqFilter, all: fc.oneof(fc.constant(true), fieldValue) }, { requiredKeys: [] }),
  anyJson,
);

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** Percent-encodes the UTF-8 bytes (a lone surrogate becomes U+FFFD, as on any wire). */
function encode(value: string): string {
  return [...Buffer.from(value, 'utf8')]
    .map((b) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`))
    .join('');
}

/** Each value once, or twice (`a=1&a=1` makes an array), plus raw escapes that are not UTF-8 at all. */
function queryString(query: Record<string, string>, repeat: boolean, junk: string): string {
  return [...Object.entries(query).flatMap(([k, v]) => Array.from({ length: repeat ? 2 : 1 }, () => `${k}=${encode(v)}`)), junk]
    .filter((p) => p !== '')
    .join('&');
}

describe('fuzz: no input makes a 5xx, a refused one writes nothing', () => {
  let suite: Suite;
  let api: ApiUnderTest;
  const options = { seed: SEED, numRuns: RUNS, interruptAfterTimeLimit: SECONDS * 1000, markInterruptAsFailure: false, endOnFailure: false };

  const counts = async () => {
    const { rows } = await suite.sql.query(
      `SELECT (SELECT count(*) FROM tasks)::int AS tasks, (SELECT count(*) FROM outbox)::int AS outbox,
              (SELECT count(*) FROM idempotency_keys)::int AS keys, (SELECT count(*) FROM task_events)::int AS events,
              (SELECT coalesce(max(updated_at), 'epoch') FROM tasks)::text AS last_update`,
    );
    return rows[0] as { tasks: number; outbox: number; keys: number; events: number; last_update: string };
  };

  /** The answer is a 2xx, or a 4xx problem document; refused input changed no table. */
  const check = async (send: () => request.Test) => {
    const before = await counts();
    const res = await send();
    const after = await counts();
    if (res.status >= 500) throw new Error(`${res.status} ${res.text.slice(0, 300)}`);
    if (res.status >= 400) {
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toEqual(
        expect.objectContaining({ type: expect.any(String), title: expect.any(String), status: res.status, detail: expect.any(String) }),
      );
      expect(after).toEqual(before);
    } else {
      expect(res.status).toBeGreaterThanOrEqual(200);
      expect(res.status).toBeLessThan(300);
    }
    return res;
  };

  beforeAll(async () => {
    process.stdout.write(`fuzz: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS} FUZZ_SECONDS=${SECONDS}\n`);
    suite = await Suite.create('fuzz');
    api = await suite.startApi({ API_KEYS: KEY });
  });

  afterAll(async () => {
    await suite.teardown();
  });

  const http = () => request(api.getHttpServer());

  it('POST /tasks: any JSON body', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(taskish, anyJson), async (body) => {
        await check(() =>
          http()
            .post(TASKS)
            .set(AUTH)
            .set('Content-Type', 'application/json')
            .send(JSON.stringify(body) ?? ''),
        );
      }),
      options,
    );
  });

  it('POST /tasks: any body text with any content type', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.string({ unit: 'binary', maxLength: 100 }),
          taskish.map((t) => JSON.stringify(t).slice(0, -1)),
        ),
        fc.oneof(
          fc.constantFrom(
            'application/json',
            'application/json; charset=utf-8',
            'application/problem+json',
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x',
            'application/json; charset=latin1',
          ),
          headerText(60),
        ),
        async (text, contentType) => {
          await check(() => http().post(TASKS).set(AUTH).set('Content-Type', contentType).send(text));
        },
      ),
      options,
    );
  });

  it('POST /tasks/batch: any list of task-shaped items, or any JSON', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.record({ tasks: fc.array(taskish, { maxLength: 4 }) }), fc.record({ tasks: fieldValue }), anyJson), async (body) => {
        await check(() =>
          http()
            .post(`${TASKS}/batch`)
            .set(AUTH)
            .set('Content-Type', 'application/json')
            .send(JSON.stringify(body) ?? ''),
        );
      }),
      options,
    );
  });

  it('GET /tasks: any filters, limit and cursor, including cursors that decode to impossible dates, huge numbers and non-UUIDs', async () => {
    await fc.assert(
      fc.asyncProperty(
        listQuery,
        fc.boolean(),
        fc.constantFrom('', 'limit=%ff', 'cursor=%', 'status=%zz', '%ff=1', 'a[b]=1', 'status[]=NEW', '__proto__=1', '=', '&&'),
        async (query, repeat, junk) => {
          await check(() =>
            http()
              .get(`${TASKS}?${queryString(query, repeat, junk)}`)
              .set(AUTH),
          );
        },
      ),
      options,
    );
  });

  it('headers: any Idempotency-Key, X-Request-ID, Content-Type and Authorization on a create', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            'Idempotency-Key': headerText(300),
            'X-Request-ID': headerText(300),
            'Content-Type': fc.oneof(fc.constant('application/json'), headerText(80)),
            Authorization: fc.oneof(
              fc.constant(`Bearer ${KEY}`),
              fc.constant(`bearer  ${KEY}  `),
              headerText(300).map((t) => `Bearer ${t}`),
              headerText(300),
            ),
          },
          { requiredKeys: [] },
        ),
        fc.boolean(),
        async (headers, batch) => {
          const body = batch
            ? { tasks: [{ title: 'fuzzed headers', runAt: '2999-01-01T00:00:00Z' }] }
            : { title: 'fuzzed headers', runAt: '2999-01-01T00:00:00Z' };
          await check(() =>
            http()
              .post(batch ? `${TASKS}/batch` : TASKS)
              .set({ 'Content-Type': 'application/json', ...headers })
              .send(JSON.stringify(body)),
          );
        },
      ),
      options,
    );
  });

  it('GET /dlq and /dlq/tasks: any filters, limit and cursor', async () => {
    await fc.assert(
      fc.asyncProperty(dlqQuery, fc.boolean(), fc.constantFrom('/api/v1/dlq', '/api/v1/dlq/tasks'), async (query, repeat, path) => {
        await check(() =>
          http()
            .get(`${path}?${queryString(query, repeat, '')}`)
            .set(AUTH),
        );
      }),
      options,
    );
  });

  it('POST /dlq/replay: any selection, or any JSON', async () => {
    await fc.assert(
      fc.asyncProperty(replayBody, async (body) => {
        await check(() =>
          http()
            .post('/api/v1/dlq/replay')
            .set(AUTH)
            .set('Content-Type', 'application/json')
            .send(JSON.stringify(body) ?? ''),
        );
      }),
      options,
    );
  });

  it('path ids: any id on every task route', async () => {
    const routes: ['get' | 'delete' | 'post', (id: string) => string][] = [
      ['get', (id) => `${TASKS}/${id}`],
      ['get', (id) => `${TASKS}/${id}/status`],
      ['get', (id) => `${TASKS}/${id}/events`],
      ['delete', (id) => `${TASKS}/${id}`],
      ['post', (id) => `${TASKS}/${id}/retry`],
      ['get', (id) => `/api/v1/dlq/tasks/${id}`],
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(uuidish.map(encode), fc.constantFrom('%ff', '%', '%zz', '..', '%2e%2e', 'a%2Fb', '%00', ';x', 'x'.repeat(101))),
        fc.constantFrom(...routes),
        async (id, [method, path]) => {
          await check(() => http()[method](path(id)).set(AUTH));
        },
      ),
      options,
    );
  });
});

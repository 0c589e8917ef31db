import { connectionFetch, TaskServiceUnreachableError } from './connection.js';

const BASE = 'http://api.test:3000';

describe(connectionFetch.name, () => {
  it('passes an answer through, even a 5xx, with a time-out signal on the request', async () => {
    const seen: (AbortSignal | null | undefined)[] = [];
    const inner = (async (_input: string | URL | Request, init?: RequestInit) => {
      seen.push(init?.signal);
      return new Response('{}', { status: 503 });
    }) as typeof fetch;
    const sut = connectionFetch(BASE, inner);

    const response = await sut(`${BASE}/api/v1/tasks/stats`, { method: 'GET', headers: { authorization: 'Bearer secret-key' } });

    expect(response.status).toBe(503);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(AbortSignal);
    expect(seen[0]!.aborted).toBe(false);
  });

  it.each([
    ['a refused connection', Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }), 'ECONNREFUSED'],
    ['an unknown host', Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND api.test' } }), 'ENOTFOUND'],
    ['the time-out', new DOMException('The operation was aborted due to timeout', 'TimeoutError'), 'no answer in time'],
    ['a cause without a code', Object.assign(new TypeError('fetch failed'), { cause: { message: 'other side closed' } }), 'other side closed'],
  ])('turns %s into TaskServiceUnreachableError naming the base URL and the reason, never a header', async (_name, thrown, reason) => {
    const inner = (async () => {
      throw thrown;
    }) as typeof fetch;
    const sut = connectionFetch(`${BASE}/`, inner);

    const error = await sut(`${BASE}/api/v1/tasks`, { headers: { authorization: 'Bearer secret-key' } }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TaskServiceUnreachableError);
    expect(error).toMatchObject({ baseUrl: BASE, reason, message: `cannot reach the task service API at ${BASE} (${reason})` });
    expect(String((error as Error).message)).not.toContain('secret-key');
  });
});

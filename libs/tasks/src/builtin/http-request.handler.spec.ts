import { PermanentTaskError, TransientTaskError } from '../registry/task-errors.js';
import type { TaskContext } from '../registry/task-handler.interface.js';
import { HttpRequestHandler, type HttpRequestPayload } from './http-request.handler.js';

interface FetchCall {
  url: string;
  init: RequestInit;
}

const realFetch = globalThis.fetch;

/** Replaces `fetch` with one that records its calls and answers with `answer()`; behaves like fetch on an aborted signal. */
function fakeFetch(answer: () => Response | Promise<Response>): FetchCall[] {
  const calls: FetchCall[] = [];
  globalThis.fetch = async (input: string | URL | Request, init: RequestInit = {}) => {
    calls.push({ url: String(input), init });
    if (init.signal?.aborted) throw init.signal.reason;
    return answer();
  };
  return calls;
}

function httpContext(signal: AbortSignal = new AbortController().signal): TaskContext {
  return {
    taskId: '3d1f9a0c-7b2e-4c5d-8e6f-1a2b3c4d5e6f',
    type: 'http.request',
    attempt: 1,
    maxAttempts: 4,
    correlationId: 'corr-http',
    signal,
    reportProgress: async () => undefined,
  };
}

const getHook: HttpRequestPayload = { url: 'http://hooks.internal/ping', method: 'GET' };

describe(HttpRequestHandler.name, () => {
  let sut: HttpRequestHandler;

  beforeEach(() => {
    sut = new HttpRequestHandler();
  });

  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  it('returns the status and the parsed JSON body', async () => {
    fakeFetch(() => Response.json({ ok: true }, { status: 201 }));

    await expect(sut.run(getHook, httpContext())).resolves.toEqual({ status: 201, body: { ok: true } });
  });

  it('returns a body that is not JSON as text', async () => {
    fakeFetch(() => new Response('pong', { status: 200 }));

    await expect(sut.run(getHook, httpContext())).resolves.toEqual({ status: 200, body: 'pong' });
  });

  it.each([500, 503])('fails a %i answer with a TransientTaskError, to be retried', async (status) => {
    fakeFetch(() => new Response('down', { status }));

    await expect(sut.run(getHook, httpContext())).rejects.toBeInstanceOf(TransientTaskError);
  });

  it.each([400, 404])('fails a %i answer with a PermanentTaskError, not retried', async (status) => {
    fakeFetch(() => new Response('no', { status }));

    await expect(sut.run(getHook, httpContext())).rejects.toBeInstanceOf(PermanentTaskError);
  });

  it('fails a network error with a TransientTaskError', async () => {
    fakeFetch(() => Promise.reject(new TypeError('fetch failed')));

    await expect(sut.run(getHook, httpContext())).rejects.toThrow(
      new TransientTaskError('http.request: GET http://hooks.internal/ping failed: fetch failed'),
    );
  });

  it("rejects with the signal's reason when the task is cancelled", async () => {
    const controller = new AbortController();
    const cancelled = new Error('cancelled by the user');
    controller.abort(cancelled);
    fakeFetch(() => new Response('late'));

    await expect(sut.run(getHook, httpContext(controller.signal))).rejects.toBe(cancelled);
  });

  it('sends an object body as JSON with the correlation id', async () => {
    const calls = fakeFetch(() => new Response(null, { status: 204 }));
    const payload: HttpRequestPayload = { url: 'http://hooks.internal/items', method: 'POST', body: { name: 'a' } };

    await sut.run(payload, httpContext());

    expect(calls).toHaveLength(1);
    expect(calls[0].url).toBe('http://hooks.internal/items');
    expect(calls[0].init).toMatchObject({
      method: 'POST',
      body: '{"name":"a"}',
      headers: { 'x-request-id': 'corr-http', 'content-type': 'application/json' },
    });
  });

  it("keeps the caller's content type and sends a string body as it is", async () => {
    const calls = fakeFetch(() => new Response(null, { status: 204 }));
    const payload: HttpRequestPayload = {
      url: 'http://hooks.internal/items',
      method: 'PUT',
      headers: { 'Content-Type': 'text/plain' },
      body: 'hello',
    };

    await sut.run(payload, httpContext());

    expect(calls[0].init.body).toBe('hello');
    expect(calls[0].init.headers).toEqual({ 'x-request-id': 'corr-http', 'Content-Type': 'text/plain' });
  });

  it('sends no body with GET', async () => {
    const calls = fakeFetch(() => new Response('{}'));

    await sut.run({ ...getHook, body: { ignored: true } }, httpContext());

    expect(calls[0].init.body).toBeUndefined();
  });
});

import type { LookupAddress } from 'node:dns';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { loadConfig } from '#config';
import {
  type HostResolver,
  HttpRequestHandler,
  type HttpRequestPayload,
  HttpTaskRefusedError,
  PermanentTaskError,
  type TaskContext,
  TransientTaskError,
} from '#tasks';

/**
 * The http.request handler against real HTTP servers on 127.0.0.1, called directly (no broker, no
 * database): what the allow-list lets through, where it checks addresses, redirects, the response
 * size limit, and what its errors may say.
 */

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface TestServer {
  port: number;
  seen: Seen[];
  close(): Promise<void>;
}

/** A server on 127.0.0.1 that records each request, then lets `answer` reply. */
async function startServer(answer: (seen: Seen, res: ServerResponse) => void): Promise<TestServer> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
      seen.push(request);
      answer(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
}

/** The handler with the configuration the worker would parse from these variables. */
function handlerWith(env: { HTTP_TASK_ALLOWED_HOSTS?: string; HTTP_TASK_MAX_RESPONSE_BYTES?: string }, resolver?: HostResolver): HttpRequestHandler {
  return new HttpRequestHandler(loadConfig(env), resolver);
}

function context(signal: AbortSignal = new AbortController().signal): TaskContext {
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

/** A resolver that answers from a script, one answer per call (the last repeats), and counts its calls. */
function scriptedResolver(...answers: LookupAddress[][]): HostResolver & { calls: string[] } {
  const calls: string[] = [];
  const resolver = async (hostname: string) => {
    calls.push(hostname);
    return answers[Math.min(calls.length - 1, answers.length - 1)];
  };
  return Object.assign(resolver, { calls });
}

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

describe('http.request handler', () => {
  let server: TestServer;
  let other: TestServer;
  let allowServer: string;

  beforeEach(async () => {
    server = await startServer((seen, res) => {
      const path = new URL(seen.url, 'http://test').pathname;
      if (path === '/json') return json(res, 201, { ok: true });
      if (path === '/text') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('pong');
      if (path.startsWith('/status/')) return void res.writeHead(Number(path.slice(8))).end('status body');
      if (path === '/echo') return json(res, 200, { method: seen.method, headers: seen.headers, body: seen.body });
      if (path === '/to-other') return void res.writeHead(302, { location: `http://127.0.0.1:${other.port}/landed` }).end();
      if (path === '/see-other') return void res.writeHead(303, { location: '/echo' }).end();
      if (path === '/loop') return void res.writeHead(307, { location: '/loop' }).end();
      if (path === '/slow') {
        const late = setTimeout(() => res.end('late'), 5_000);
        return void res.on('close', () => clearTimeout(late));
      }
      return json(res, 404, { error: 'no route' });
    });
    other = await startServer((seen, res) => json(res, 200, { landed: true, authorization: seen.headers.authorization ?? null }));
    allowServer = `127.0.0.1:${server.port}`;
  });

  afterEach(async () => {
    await server.close();
    await other.close();
  });

  describe('the allow-list', () => {
    it('refuses every call when HTTP_TASK_ALLOWED_HOSTS is empty, saying how to allow one, and sends nothing', async () => {
      const sut = handlerWith({});

      const error = await errorOf(sut.run({ url: `http://127.0.0.1:${server.port}/json`, method: 'GET' }, context()));

      expect(error).toBeInstanceOf(HttpTaskRefusedError);
      expect(error).toBeInstanceOf(PermanentTaskError);
      expect(error.message).toContain('HTTP_TASK_ALLOWED_HOSTS is empty');
      expect(error.message).toContain(`e.g. 127.0.0.1:${server.port}`);
      expect(server.seen).toHaveLength(0);
    });

    it('calls a server listed as 127.0.0.1:<port> and returns the status and the parsed JSON body', async () => {
      const sut = handlerWith({ HTTP_TASK_ALLOWED_HOSTS: allowServer });

      await expect(sut.run({ url: `http://127.0.0.1:${server.port}/json`, method: 'GET' }, context())).resolves.toEqual({ status: 201, body: { ok: true } });
    });

    it('refuses the same IP on a port the list does not name', async () => {
      const sut = handlerWith({ HTTP_TASK_ALLOWED_HOSTS: allowServer });

      const error = await errorOf(sut.run({ url: `http://127.0.0.1:${other.port}/`, method: 'GET' }, context()));

      expect(error).toBeInstanceOf(HttpTaskRefusedError);
      expect(error.message).toContain(`127.0.0.1:${other.port} is not in HTTP_TASK_ALLOWED_HOSTS`);
      expect(other.seen).toHaveLength(0);
    });

    it('names a refused IPv6 literal the way an entry must write it, in brackets', async () => {
      const sut = handlerWith({ HTTP_TASK_ALLOWED_HOSTS: allowServer });

      const error = await errorOf(sut.run({ url: `http://[::1]:${other.port}/`, method: 'GET' }, context()));

      expect(error).toBeInstanceOf(HttpTaskRefusedError);
      expect(error.message).toContain(`refused: [::1]:${other.port} is not in HTTP_TASK_ALLOWED_HOSTS`);
    });

    it('refuses localhost:<port>, allowed by name, because it resolves to a loopback address', async () => {
      const sut = handlerWith({ HTTP_TASK_ALLOWED_HOSTS: `localhost:${server.port}` });

      const error = await errorOf(sut.run({ url: `http://localhost:${server.port}/json`, method: 'GET' }, context()));

      expect(error).toBeInstanceOf(HttpTaskRefusedError);
      expect(error.message).toMatch(/localhost resolves to an address it may not reach: (127\.0\.0\.1|::1) is a loopback address/);
      expect(server.seen).toHaveLength(0);
    });

    it('asks the resolver once per connection, at connect, and refuses its loopback answer before sending', async () => {
      const resolver = scriptedResolver([{ address: '127.0.0.1', family: 4 }]);
      const sut = handlerWith({ HTTP_TASK_ALLOWED_HOSTS: `hooks.test:${server.port}` }, resolver);

      const error = await errorOf(sut.run({ url: `http://hooks.test:${server.port}/json`, method: 'GET' }, context()));

      expect(error).toBeInstanceOf(HttpTaskRefusedError);
      expect(error.message).toContain('hooks.test resolves to an address it may not reach: 127.0.0.1 is a loopback address');
      expect(resolver.calls).toEqual(['hooks.test']);
      expect(server.seen).toHaveLength(0);
    });

    it('connects a name to a private address when the list also names that IP and port', async () => {
      const resolver = scriptedResolver([{ address: '127.0.0.1', family: 4 }]);
      const sut = handlerWith({ HTTP_TASK_ALLOWED_HOSTS: `hooks.test:${server.port},${allowServer}` }, resolver);

      const result = await sut.run({ url: `http://hooks.test:${server.port}/echo`, method: 'GET' }, context());

      expect(result.status).toBe(200);
      expect((result.body as { headers: IncomingHttpHeaders }).headers.host).toBe(`hooks.test:${server.port}`);
    });

    it('refuses the cloud metadata address by name', async () => {
      const resolver = scriptedResolver([{ address: '169.254.169.254', family: 4 }]);
      const sut = handlerWith({ HTTP_TASK_ALLOWED_HOSTS: '*.internal.test' }, resolver);

      const error = await errorOf(sut.run({ url: 'http://metadata.internal.test/latest/meta-data/', method: 'GET' }, context()));

      expect(error).toBeInstanceOf(HttpTaskRefusedError);
      expect(error.message).toContain('169.254.169.254 is a link-local');
    });
  });

  describe('redirects', () => {
    it('refuses a redirect from an allowed server to a port the list does not name', async () => {
      const sut = handlerWith({ HTTP_TASK_ALLOWED_HOSTS: allowServer });

      const error = await errorOf(sut.run({ url: `http://127.0.0.1:${server.port}/to-other`, method: 'GET' }, context()));

      expect(error).toBeInstanceOf(HttpTaskRefusedError);
      expect(error.message).toContain(`GET http://127.0.0.1:${other.port}/landed: refused: 127.0.0.1:${other.port} is not in HTTP_TASK_ALLOWED_HOSTS`);
      expect(server.seen).toHaveLength(1);
      expect(other.seen).toHaveLength(0);
    });

    it('follows a redirect to an allowed host, without the Authorization meant for the first origin', async () => {
      const sut = handlerWith({ HTTP_TASK_ALLOWED_HOSTS: `${allowServer},127.0.0.1:${other.port}` });

      const result = await sut.run(
        { url: `http://127.0.0.1:${server.port}/to-other`, method: 'GET', headers: { Authorization: 'Bearer first-origin-only' } },
        context(),
      );

      expect(result).toEqual({ status: 200, body: { landed: true, authorization: null } });
      expect(server.seen[0].headers.authorization).toBe('Bearer first-origin-only');
    });

    it('turns a POST answered 303 into a GET without a body', async () => {
      const sut = handlerWith({ HTTP_TASK_ALLOWED_HOSTS: allowServer });

      const result = await sut.run({ url: `http://127.0.0.1:${server.port}/see-other`, method: 'POST', body: { a: 1 } }, context());

      expect(result.body).toMatchObject({ method: 'GET', body: '' });
      expect((result.body as { headers: IncomingHttpHeaders }).headers['content-type']).toBeUndefined();
    });

    it('stops after 5 redirects with a permanent error', async () => {
      const sut = handlerWith({ HTTP_TASK_ALLOWED_HOSTS: allowServer });

      const error = await errorOf(sut.run({ url: `http://127.0.0.1:${server.port}/loop`, method: 'GET' }, context()));

      expect(error).toBeInstanceOf(PermanentTaskError);
      expect(error.message).toContain('more than 5 redirects');
      expect(server.seen).toHaveLength(6);
    });
  });

  describe('the response size limit', () => {
    it('cuts an endless body at HTTP_TASK_MAX_RESPONSE_BYTES, fails for good, and stops reading', async () => {
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let sent = 0;
      let hungUp!: () => void;
      const closed = new Promise<void>((resolve) => (hungUp = resolve));
      const endless = await startServer((_seen, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const pump = () => {
          while (!res.destroyed) {
            sent += chunk.length;
            if (!res.write(chunk)) return;
          }
        };
        res.on('drain', pump);
        res.on('close', hungUp);
        pump();
      });
      try {
        const sut = handlerWith({ HTTP_TASK_ALLOWED_HOSTS: `127.0.0.1:${endless.port}`, HTTP_TASK_MAX_RESPONSE_BYTES: '1048576' });
        const heapBefore = process.memoryUsage().heapUsed;

        const error = await errorOf(sut.run({ url: `http://127.0.0.1:${endless.port}/endless`, method: 'GET', timeoutMs: 20_000 }, context()));
        await closed;

        expect(error).toBeInstanceOf(PermanentTaskError);
        expect(error.message).toContain('larger than HTTP_TASK_MAX_RESPONSE_BYTES (1048576 bytes)');
        // The client hung up: the server got past the limit only by what the socket buffers hold.
        expect(sent).toBeGreaterThan(1048576);
        expect(sent).toBeLessThan(16 * 1048576);
        expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(32 * 1048576);
      } finally {
        await endless.close();
      }
    });

    it('fails at once on a Content-Length past the limit', async () => {
      await other.close();
      other = await startServer((_seen, res) => res.writeHead(200, { 'content-length': '2000' }).end('y'.repeat(2000)));
      const sut = handlerWith({ HTTP_TASK_ALLOWED_HOSTS: `127.0.0.1:${other.port}`, HTTP_TASK_MAX_RESPONSE_BYTES: '1000' });

      const error = await errorOf(sut.run({ url: `http://127.0.0.1:${other.port}/`, method: 'GET' }, context()));

      expect(error).toBeInstanceOf(PermanentTaskError);
      expect(error.message).toContain('HTTP_TASK_MAX_RESPONSE_BYTES (1000 bytes)');
    });

    it('counts a compressed body after decoding, so a small gzip cannot expand past the limit', async () => {
      const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024));
      await other.close();
      other = await startServer((_seen, res) => res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': String(bomb.length) }).end(bomb));
      const sut = handlerWith({ HTTP_TASK_ALLOWED_HOSTS: `127.0.0.1:${other.port}`, HTTP_TASK_MAX_RESPONSE_BYTES: '1048576' });

      const error = await errorOf(sut.run({ url: `http://127.0.0.1:${other.port}/`, method: 'GET' }, context()));

      expect(bomb.length).toBeLessThan(1048576);
      expect(error).toBeInstanceOf(PermanentTaskError);
      expect(error.message).toContain('HTTP_TASK_MAX_RESPONSE_BYTES');
    });

    it('returns a body exactly at the limit', async () => {
      await other.close();
      other = await startServer((_seen, res) => res.writeHead(200).end('z'.repeat(1000)));
      const sut = handlerWith({ HTTP_TASK_ALLOWED_HOSTS: `127.0.0.1:${other.port}`, HTTP_TASK_MAX_RESPONSE_BYTES: '1000' });

      await expect(sut.run({ url: `http://127.0.0.1:${other.port}/`, method: 'GET' }, context())).resolves.toEqual({ status: 200, body: 'z'.repeat(1000) });
    });
  });

  describe('secrets', () => {
    const secretPayload = (port: number, path: string, timeoutMs?: number): HttpRequestPayload => ({
      url: `http://alice-user:S3cretUrlPass@127.0.0.1:${port}${path}?token=QueryT0ken`,
      method: 'POST',
      headers: { Authorization: 'Bearer HeaderT0ken123', 'X-Api-Key': 'ApiKeyVal456', 'X-Upstream-Secret': 'UpstreamSecret789', Cookie: 'sid=CookieVal000' },
      body: { ok: 1 },
      timeoutMs,
    });
    const leaks = ['alice-user', 'S3cretUrlPass', 'QueryT0ken', 'HeaderT0ken123', 'ApiKeyVal456', 'UpstreamSecret789', 'CookieVal000'];

    it.each([
      ['a 500 answer', '/status/500', TransientTaskError],
      ['a 403 answer', '/status/403', PermanentTaskError],
      ['a redirect to a host not allowed', '/to-other', HttpTaskRefusedError],
    ])('keeps the URL credentials, query and secret headers out of the error on %s', async (_name, path, type) => {
      const sut = handlerWith({ HTTP_TASK_ALLOWED_HOSTS: allowServer });

      const error = await errorOf(sut.run(secretPayload(server.port, path), context()));

      expect(error).toBeInstanceOf(type);
      expect(error.message).toContain('http://127.0.0.1:');
      for (const secret of leaks) expect(error.message).not.toContain(secret);
    });

    it('keeps them out of the error when the host is refused, the connection fails or the call times out', async () => {
      const refused = await errorOf(handlerWith({}).run(secretPayload(server.port, '/json'), context()));
      await other.close();
      const unreachable = await errorOf(handlerWith({ HTTP_TASK_ALLOWED_HOSTS: `127.0.0.1:${other.port}` }).run(secretPayload(other.port, '/'), context()));
      const slow = await errorOf(handlerWith({ HTTP_TASK_ALLOWED_HOSTS: allowServer }).run(secretPayload(server.port, '/slow', 200), context()));

      expect(refused).toBeInstanceOf(HttpTaskRefusedError);
      expect(unreachable).toBeInstanceOf(TransientTaskError);
      expect(slow).toBeInstanceOf(TransientTaskError);
      expect(slow.message).toContain('within 200 ms');
      for (const error of [refused, unreachable, slow]) for (const secret of leaks) expect(error.message).not.toContain(secret);
    });

    it('sends URL credentials as Basic authentication when no Authorization header is given', async () => {
      const sut = handlerWith({ HTTP_TASK_ALLOWED_HOSTS: allowServer });

      await sut.run({ url: `http://alice:p%40ss@127.0.0.1:${server.port}/echo`, method: 'GET' }, context());

      expect(server.seen[0].headers.authorization).toBe(`Basic ${Buffer.from('alice:p@ss').toString('base64')}`);
    });
  });

  describe('outcomes kept from before', () => {
    let sut: HttpRequestHandler;

    beforeEach(() => {
      sut = handlerWith({ HTTP_TASK_ALLOWED_HOSTS: allowServer });
    });

    it('returns a body that is not JSON as text', async () => {
      await expect(sut.run({ url: `http://127.0.0.1:${server.port}/text`, method: 'GET' }, context())).resolves.toEqual({ status: 200, body: 'pong' });
    });

    it.each([500, 503])('fails a %i answer with a TransientTaskError, to be retried', async (status) => {
      await expect(sut.run({ url: `http://127.0.0.1:${server.port}/status/${status}`, method: 'GET' }, context())).rejects.toBeInstanceOf(TransientTaskError);
    });

    it.each([400, 404])('fails a %i answer with a PermanentTaskError, not retried', async (status) => {
      const error = await errorOf(sut.run({ url: `http://127.0.0.1:${server.port}/status/${status}`, method: 'GET' }, context()));

      expect(error).toBeInstanceOf(PermanentTaskError);
      expect(error.message).toBe(`http.request: GET http://127.0.0.1:${server.port}/status/${status}: answered ${status}`);
    });

    it('fails a refused connection with a TransientTaskError', async () => {
      await other.close();
      const closedPort = other.port;
      const error = await errorOf(
        handlerWith({ HTTP_TASK_ALLOWED_HOSTS: `127.0.0.1:${closedPort}` }).run({ url: `http://127.0.0.1:${closedPort}/`, method: 'GET' }, context()),
      );

      expect(error).toBeInstanceOf(TransientTaskError);
      expect(error.message).toContain('ECONNREFUSED');
    });

    it('fails a call past timeoutMs with a TransientTaskError', async () => {
      const error = await errorOf(sut.run({ url: `http://127.0.0.1:${server.port}/slow`, method: 'GET', timeoutMs: 200 }, context()));

      expect(error).toBeInstanceOf(TransientTaskError);
      expect(error.message).toBe(`http.request: no answer from GET http://127.0.0.1:${server.port}/slow within 200 ms`);
    });

    it("rejects with the signal's reason when the task is cancelled mid-call", async () => {
      const controller = new AbortController();
      const cancelled = new Error('cancelled by the user');
      const running = sut.run({ url: `http://127.0.0.1:${server.port}/slow`, method: 'GET' }, context(controller.signal));
      while (server.seen.length === 0) await new Promise((r) => setTimeout(r, 10));
      controller.abort(cancelled);

      await expect(running).rejects.toBe(cancelled);
    });

    it('sends an object body as JSON with the correlation id', async () => {
      const result = await sut.run({ url: `http://127.0.0.1:${server.port}/echo`, method: 'POST', body: { name: 'a' } }, context());

      expect(result.body).toMatchObject({
        method: 'POST',
        body: '{"name":"a"}',
        headers: { 'x-request-id': 'corr-http', 'content-type': 'application/json' },
      });
    });

    it("keeps the caller's content type and sends a string body as it is", async () => {
      const result = await sut.run(
        { url: `http://127.0.0.1:${server.port}/echo`, method: 'PUT', headers: { 'Content-Type': 'text/plain' }, body: 'hello' },
        context(),
      );

      expect(result.body).toMatchObject({ method: 'PUT', body: 'hello', headers: { 'content-type': 'text/plain' } });
    });

    it('sends no body with GET', async () => {
      const result = await sut.run({ url: `http://127.0.0.1:${server.port}/echo`, method: 'GET', body: { ignored: true } }, context());

      expect(result.body).toMatchObject({ method: 'GET', body: '' });
    });
  });
});

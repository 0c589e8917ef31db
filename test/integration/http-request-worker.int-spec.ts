import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { DEAD_LETTER_HEADERS } from '#messaging';
import { type ApiUnderTest, eventually, Suite } from './support/suite.js';

/**
 * http.request through the real API, relay, worker, Postgres and RabbitMQ: what a refused or
 * failed call leaves in the task's error, its timeline and its DLQ copy, with credentials and
 * secret headers in the payload.
 */
describe('http.request in the worker', () => {
  let suite: Suite;
  let api: ApiUnderTest;
  let target: Server;
  let port: number;

  const secrets = ['alice-user', 'S3cretUrlPass', 'QueryT0ken', 'HeaderT0ken123', 'ApiKeyVal456'];
  const payload = (url: string) => ({
    url,
    method: 'POST',
    headers: { Authorization: 'Bearer HeaderT0ken123', 'X-Api-Key': 'ApiKeyVal456' },
    body: { a: 1 },
  });
  const create = async (body: Record<string, unknown>) => (await request(api.getHttpServer()).post('/api/v1/tasks').send(body).expect(201)).body;
  const get = async (path: string) => (await request(api.getHttpServer()).get(`/api/v1/tasks/${path}`).expect(200)).body;
  const failed = (id: string) => eventually(async () => ((await get(id)).status === 'FAILED' ? get(id) : undefined), 20_000, `task ${id} to be FAILED`);
  const dlqCopy = async (id: string) => {
    const copies = await eventually(
      async () => {
        const all = await suite.drainQueue('tasks.dlq');
        return all.length > 0 ? all : undefined;
      },
      10_000,
      'a copy in tasks.dlq',
    );
    return copies.find((m) => JSON.parse(m.content.toString()).taskId === id)!;
  };

  beforeAll(async () => {
    target = createServer((_req, res) => res.writeHead(403).end('forbidden'));
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    port = (target.address() as AddressInfo).port;
    suite = await Suite.create('http_request', { HTTP_TASK_ALLOWED_HOSTS: `127.0.0.1:${port}` });
    api = await suite.startApi();
    await suite.startRelay();
    await suite.startWorker();
  });

  afterAll(async () => {
    await suite.teardown();
    target.closeAllConnections();
    await new Promise((resolve) => target.close(resolve));
  });

  it.each([
    ['a listed server answers 403', () => `http://alice-user:S3cretUrlPass@127.0.0.1:${port}/hook?token=QueryT0ken`, 'answered 403'],
    ['the host is not listed', () => `http://alice-user:S3cretUrlPass@127.0.0.1:${port + 1}/hook?token=QueryT0ken`, 'is not in HTTP_TASK_ALLOWED_HOSTS'],
  ])('fails for good when %s, and no credential reaches the error, the timeline or the DLQ headers', async (_name, url, reason) => {
    const task = await create({ title: 'secret call', type: 'http.request', payload: payload(url()) });

    const done = await failed(task.id);
    const events = await get(`${task.id}/events`);
    const copy = await dlqCopy(task.id);

    expect(done).toMatchObject({ attempts: 1, error: expect.stringContaining(reason) });
    expect(copy.properties.headers).toMatchObject({ [DEAD_LETTER_HEADERS.reason]: 'permanent-error', [DEAD_LETTER_HEADERS.error]: done.error });
    const exposed = JSON.stringify([done.error, done.result, events, copy.properties.headers, copy.content.toString()]);
    for (const secret of secrets) expect(exposed).not.toContain(secret);
  });
});

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { jest } from '@jest/globals';
import request from 'supertest';
import { TASK_HANDLERS } from '#tasks';
import { type ApiUnderTest, eventually, Suite } from '../../test/integration/support/suite.js';
import { taskClient } from '../../test/integration/support/task-client.js';
import { EmailSendHandler, readMailApiSettings } from './email-send.handler.js';

/** One call the fake mail API received. */
interface MailCall {
  headers: IncomingHttpHeaders;
  body: { to: string; subject: string; text: string };
}

/**
 * A stand-in for the mail provider (the outside system): `POST /v1/messages` answers by
 * recipient. `ok@` 202 with an id; `bounce@` 422 (the provider refuses the address);
 * `flaky@` 503 on its first call, then 202; `down@` always 503.
 */
class FakeMailApi {
  readonly calls: MailCall[] = [];
  private server!: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      req.on('end', () => {
        const body = JSON.parse(raw) as MailCall['body'];
        this.calls.push({ headers: req.headers, body });
        const earlier = this.calls.filter((c) => c.body.to === body.to).length - 1;
        const [status, answer] = body.to.startsWith('bounce@')
          ? [422, { message: 'recipient address rejected' }]
          : body.to.startsWith('down@') || (body.to.startsWith('flaky@') && earlier === 0)
            ? [503, { message: 'try again later' }]
            : [202, { id: `msg-${this.calls.length}` }];
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/messages`;
  }

  callsTo(to: string): MailCall[] {
    return this.calls.filter((c) => c.body.to === to);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * The `email.send` example on the real Postgres and RabbitMQ: api, relay and worker in-process
 * with the example's handler added to the deployment's list, the mail provider faked over HTTP.
 * Its hooks log through Nest's Logger; the test listens to those calls.
 */
describe('examples: email.send', () => {
  const mail = new FakeMailApi();
  const handlers = [...TASK_HANDLERS, EmailSendHandler];
  let suite: Suite;
  let api: ApiUnderTest;
  const tasks = taskClient(() => api, 40_000);
  const logged = jest.spyOn(Logger.prototype, 'log');
  const errors = jest.spyOn(Logger.prototype, 'error');
  const hookLines = (spy: typeof logged, taskId: string) => spy.mock.calls.map(([message]) => String(message)).filter((m) => m.includes(`task ${taskId}`));
  const email = (to: string, extra: Record<string, unknown> = {}) => ({
    type: 'email.send',
    title: `mail to ${to}`,
    payload: { to, subject: 'Hello', text: 'Hi!' },
    ...extra,
  });

  beforeAll(async () => {
    suite = await Suite.create('example_email');
    api = await suite.startApi({}, handlers);
    await suite.startRelay({}, handlers);
    // The handler reads MAIL_API_URL and MAIL_API_TOKEN when the worker constructs it.
    process.env.MAIL_API_URL = await mail.start();
    process.env.MAIL_API_TOKEN = 'secret-token';
    await suite.startWorker({}, handlers);
  });

  afterAll(async () => {
    await suite?.teardown();
    await mail.stop();
    delete process.env.MAIL_API_URL;
    delete process.env.MAIL_API_TOKEN;
    logged.mockRestore();
    errors.mockRestore();
  });

  it('sends the mail, completes with the provider message id, and onSuccess logs that id once', async () => {
    const created = await tasks.create(email('ok@example.test'));
    const done = await tasks.until(created.id, 'COMPLETED');

    const [call] = mail.callsTo('ok@example.test');
    expect(call.body).toEqual({ to: 'ok@example.test', subject: 'Hello', text: 'Hi!' });
    expect(call.headers['idempotency-key']).toBe(created.id);
    expect(call.headers.authorization).toBe('Bearer secret-token');
    expect(done.result).toEqual({ messageId: expect.stringMatching(/^msg-\d+$/) });
    const lines = await eventually(async () => (hookLines(logged, created.id).length > 0 ? hookLines(logged, created.id) : undefined), 10_000, 'onSuccess');
    expect(lines).toEqual([`email sent: task ${created.id}, provider message id ${done.result.messageId}`]);
  });

  it('fails for good on a 4xx from the provider: one call, no retry, onError logs the last failure', async () => {
    const created = await tasks.create(email('bounce@example.test'));
    const failed = await tasks.until(created.id, 'FAILED');

    expect(mail.callsTo('bounce@example.test')).toHaveLength(1);
    expect(failed.attempts).toBe(1);
    expect(failed.error).toContain('mail API answered 422');
    await eventually(async () => hookLines(errors, created.id).length > 0, 10_000, 'onError');
    expect(hookLines(errors, created.id)).toEqual([
      `email not sent: task ${created.id} FAILED after 1 of 5 attempts: mail API answered 422: {"message":"recipient address rejected"}`,
    ]);
  });

  it('retries a 5xx on its own ladder and completes on the next attempt', async () => {
    const created = await tasks.create(email('flaky@example.test'));
    const done = await tasks.until(created.id, 'COMPLETED');

    expect(mail.callsTo('flaky@example.test')).toHaveLength(2);
    expect(done.attempts).toBe(2);
    // The same key on both calls: the provider can tell the retry from a second mail.
    expect(new Set(mail.callsTo('flaky@example.test').map((c) => c.headers['idempotency-key']))).toEqual(new Set([created.id]));
    expect(hookLines(errors, created.id)).toEqual([]);
  });

  it('gives up after the last attempt of a 5xx and only then calls onError with willRetry false', async () => {
    // The request's maxAttempts wins over the type's 5, so the test waits one step of the ladder (2 s).
    const created = await tasks.create(email('down@example.test', { maxAttempts: 2 }));
    const failed = await tasks.until(created.id, 'FAILED');

    expect(mail.callsTo('down@example.test')).toHaveLength(2);
    expect(failed.attempts).toBe(2);
    await eventually(async () => hookLines(errors, created.id).length > 0, 10_000, 'onError');
    expect(hookLines(errors, created.id)).toEqual([
      `email not sent: task ${created.id} FAILED after 2 of 2 attempts: mail API answered 503: {"message":"try again later"}`,
    ]);
  });

  it('shows its own policy at GET /task-types: exponential from 2 s, capped at 300 s, 5 attempts', async () => {
    const { body } = await request(api.getHttpServer()).get('/api/v1/task-types').expect(200);
    const type = body.items.find((t: { type: string }) => t.type === 'email.send');

    expect(type.policy).toEqual({
      maxAttempts: 5,
      retry: { backoff: 'exponential', initialDelaySeconds: 2, maxDelaySeconds: 300, delaysSeconds: [2, 4, 8, 15] },
      timeoutSeconds: 30,
      concurrency: 8,
      batch: null,
    });
  });
});

describe(readMailApiSettings.name, () => {
  it('refuses a missing or non-http MAIL_API_URL, naming the variable', () => {
    expect(() => readMailApiSettings({})).toThrow(/MAIL_API_URL must be the mail API's http or https URL.*\(got nothing\)/);
    expect(() => readMailApiSettings({ MAIL_API_URL: 'ftp://mail.example.com' })).toThrow(/MAIL_API_URL.*got 'ftp:\/\/mail.example.com'/);
    expect(readMailApiSettings({ MAIL_API_URL: 'https://mail.example.com/v1/messages' }).url.hostname).toBe('mail.example.com');
  });
});

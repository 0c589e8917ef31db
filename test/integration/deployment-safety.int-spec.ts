import { createHash, randomUUID } from 'node:crypto';
import request from 'supertest';
import type { AppProcess } from './support/app-process.js';
import { type ApiUnderTest, Suite } from './support/suite.js';

/**
 * What keeps a deployment safe beyond the API key check: idempotency keys scoped per API key,
 * the rate limit's client address (X-Forwarded-For only from trusted proxies), and the warning
 * every app logs when it runs in production with default passwords or no API keys.
 */
const KEY_A = 'deployment-suite-key-a-0123456789';
const KEY_B = 'deployment-suite-key-b-0123456789';
const TASKS = '/api/v1/tasks';
const later = () => new Date(Date.now() + 7 * 24 * 3600_000).toISOString();
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('deployment safety', () => {
  let suite: Suite;

  beforeAll(async () => {
    suite = await Suite.create('deployment');
  });

  afterAll(async () => {
    await suite.teardown();
  });

  describe('idempotency keys are scoped per API key', () => {
    let api: ApiUnderTest;
    const post = (apiKey: string, idempotencyKey: string, body: object, path = TASKS) =>
      request(api.getHttpServer()).post(path).set('Authorization', `Bearer ${apiKey}`).set('Idempotency-Key', idempotencyKey).send(body);

    beforeAll(async () => {
      api = await suite.startApi({ API_KEYS: `${KEY_A},${KEY_B}` });
    });

    it('the same Idempotency-Key and body from another API key creates another task, and each client replays its own', async () => {
      const key = `shared-${randomUUID()}`;
      const body = { title: `scoped ${key}`, runAt: later() };

      const a = await post(KEY_A, key, body);
      const b = await post(KEY_B, key, body);
      expect([a.status, b.status]).toEqual([201, 201]);
      expect(b.headers['idempotent-replayed']).toBeUndefined();
      expect(b.body.id).not.toBe(a.body.id);

      const againA = await post(KEY_A, key, body);
      const againB = await post(KEY_B, key, body);
      expect([againA.status, againA.body.id, againB.status, againB.body.id]).toEqual([200, a.body.id, 200, b.body.id]);
      const { rows } = await suite.sql.query('SELECT count(*)::int AS n FROM tasks WHERE title = $1', [body.title]);
      expect(rows[0].n).toBe(2);
    });

    it('another client cannot block a key with another body (no 409 across API keys), on /tasks and /tasks/batch', async () => {
      const key = `taken-${randomUUID()}`;
      await post(KEY_A, key, { title: `first ${key}`, runAt: later() }).expect(201);
      const other = await post(KEY_B, key, { title: `second ${key}`, runAt: later() });
      expect(other.status).toBe(201);

      const batchA = await post(KEY_A, key, { tasks: [{ title: `batch a ${key}`, runAt: later() }] }, `${TASKS}/batch`);
      const batchB = await post(KEY_B, key, { tasks: [{ title: `batch b ${key}`, runAt: later() }] }, `${TASKS}/batch`);
      expect([batchA.status, batchB.status]).toEqual([201, 201]);
    });

    it('stores a digest of the API key, never the key', async () => {
      const key = `stored-${randomUUID()}`;
      await post(KEY_A, key, { title: `stored ${key}`, runAt: later() }).expect(201);

      const { rows } = await suite.sql.query<{ scope: string }>('SELECT scope FROM idempotency_keys WHERE key = $1', [key]);
      expect(rows).toEqual([{ scope: `tasks:${sha256(KEY_A)}` }]);
      const all = await suite.sql.query<{ row: string }>('SELECT row_to_json(k)::text AS row FROM idempotency_keys k');
      for (const { row } of all.rows) {
        expect(row).not.toContain(KEY_A);
        expect(row).not.toContain(KEY_B);
      }
    });
  });

  describe('the rate limit and X-Forwarded-For', () => {
    /** Statuses of GET /task-types sent with each X-Forwarded-For value in turn (undefined: none). */
    const statuses = async (api: AppProcess, forwardedFor: (string | undefined)[]) => {
      const answers: number[] = [];
      for (const xff of forwardedFor) {
        const req = request(api.url).get('/api/v1/task-types');
        answers.push((await (xff === undefined ? req : req.set('X-Forwarded-For', xff))).status);
      }
      return answers;
    };
    const limited = (env: Record<string, string> = {}) => suite.startProcess('api', { RATE_LIMIT_MAX: '2', RATE_LIMIT_WINDOW_SECONDS: '600', ...env });

    it('ignores X-Forwarded-For by default: a client cannot get a fresh budget by naming another address', async () => {
      const api = await limited();
      try {
        expect(await statuses(api, ['203.0.113.1', '203.0.113.2', '203.0.113.3', undefined])).toEqual([200, 200, 429, 429]);
      } finally {
        await api.kill();
      }
    });

    it('with TRUSTED_PROXIES naming the peer, each forwarded client has its own budget, and a forged entry before the proxy one changes nothing', async () => {
      const api = await limited({ TRUSTED_PROXIES: '127.0.0.1,::1,::ffff:127.0.0.1' });
      try {
        expect(await statuses(api, ['203.0.113.1', '203.0.113.1', '203.0.113.1'])).toEqual([200, 200, 429]);
        expect(await statuses(api, ['203.0.113.2', '203.0.113.2'])).toEqual([200, 200]);
        // The proxy appends the address it saw; what the client wrote before it is not trusted.
        expect(await statuses(api, ['198.51.100.9, 203.0.113.1', '203.0.113.2'])).toEqual([429, 429]);
      } finally {
        await api.kill();
      }
    });

    it('with TRUSTED_PROXIES that do not include the peer, X-Forwarded-For is ignored', async () => {
      const api = await limited({ TRUSTED_PROXIES: '10.0.0.0/8' });
      try {
        expect(await statuses(api, ['203.0.113.1', '203.0.113.2', '203.0.113.3'])).toEqual([200, 200, 429]);
      } finally {
        await api.kill();
      }
    });

    it('with a hop count of 1, the last X-Forwarded-For entry is the client', async () => {
      const api = await limited({ TRUSTED_PROXIES: '1' });
      try {
        expect(await statuses(api, ['198.51.100.1, 203.0.113.7', '198.51.100.2, 203.0.113.7', '203.0.113.7', '203.0.113.8'])).toEqual([200, 200, 429, 200]);
      } finally {
        await api.kill();
      }
    });
  });

  describe('the production warning', () => {
    /** A JSON log line at warn whose message is the production warning. */
    const isWarning = (line: string) => {
      const parsed = JSON.parse(line) as { level?: string; msg?: string };
      return parsed.level === 'warn' && /NODE_ENV=production with insecure defaults/.test(parsed.msg ?? '');
    };

    // Silence outside production is unit-tested (libs/config/src/insecure-defaults.spec.ts); each
    // process started here costs seconds on a shared CI machine.
    it.each(['api', 'relay', 'worker'] as const)(
      '%s logs one warning at start with NODE_ENV=production and default passwords, and starts anyway',
      async (name) => {
        // The suite's broker login is guest/guest, a default; the Postgres password is set to one.
        const app = await suite.startProcess(name, { NODE_ENV: 'production', POSTGRES_PASSWORD: 'postgres', API_KEYS: '' });
        try {
          const warnings = app.lines.filter(isWarning);
          expect(warnings).toHaveLength(1);
          expect(warnings[0]).toContain('POSTGRES_PASSWORD');
          expect(warnings[0]).toContain('RABBITMQ_URL');
          if (name === 'api') expect(warnings[0]).toContain('API_KEYS');
          else expect(warnings[0]).not.toContain('API_KEYS');
          expect(app.running).toBe(true);
        } finally {
          await app.kill();
        }
      },
    );
  });
});

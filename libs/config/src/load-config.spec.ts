import { ConfigError } from './config.error.js';
import type { AppConfig } from './config.types.js';
import { CONFIG_DEFAULTS, loadConfig } from './load-config.js';

type Env = Record<string, string | undefined>;

/** What `.env.example` documents, parsed. */
const documentedDefaults: AppConfig = {
  production: false,
  postgres: { host: '127.0.0.1', port: 5432, database: 'tasks', user: 'postgres', password: 'postgres', url: undefined, pooler: 'none' },
  rabbitmq: { urls: ['amqp://guest:guest@127.0.0.1:5672'], queueType: 'classic' },
  api: {
    port: 3000,
    bodyLimitBytes: 1_048_576,
    keys: [],
    readOnlyKeys: [],
    rateLimit: { max: 0, windowSeconds: 60 },
    corsOrigins: [],
    trustedProxies: { kind: 'none' },
    createBatch: { windowMs: 1, max: 500 },
  },
  health: { port: 3001 },
  worker: {
    queues: ['tasks.high', 'tasks.medium', 'tasks.low'],
    taskTypes: null,
    prefetch: 10,
    writeBatch: 100,
    expressSlot: true,
    priority: { mode: 'strict', weights: [], agingMs: 30_000 },
    taskTimeoutSeconds: 300,
    leaseSeconds: 30,
    resultMaxBytes: 1_048_576,
  },
  retry: { maxRetries: 3, delaysSeconds: [5, 30, 120] },
  taskEvents: { everyType: false },
  httpTask: { allowedHosts: [], maxResponseBytes: 1_048_576 },
  outbox: { pollIntervalMs: 1000, batchSize: 100, maxAttempts: 10, retentionHours: 24, listenUrl: undefined },
  reconcile: { afterSeconds: 300 },
  retention: { taskDays: 30 },
  shutdownTimeoutSeconds: 30,
  logLevel: 'info',
  logFormat: 'json',
};

/** Runs loadConfig and returns the ConfigError it must throw. */
function configErrorOf(env: Env): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe(loadConfig.name, () => {
  describe('defaults', () => {
    it('gives the documented values for an empty environment', () => {
      expect(loadConfig({})).toEqual(documentedDefaults);
    });

    it('leaves postgres.url unset when DATABASE_URL is absent', () => {
      expect(loadConfig({}).postgres.url).toBeUndefined();
    });

    it('parses CONFIG_DEFAULTS, given explicitly, to the same values', () => {
      expect(loadConfig({ ...CONFIG_DEFAULTS })).toEqual(documentedDefaults);
    });

    it.each(['', '   '])('treats the blank value %j as unset', (blank) => {
      const sut = loadConfig({ WORKER_PREFETCH: blank, QUEUE_TYPE: blank });

      expect(sut.worker.prefetch).toBe(10);
      expect(sut.rabbitmq.queueType).toBe('classic');
    });
  });

  describe('good values', () => {
    it('parses every port and number', () => {
      const env = {
        POSTGRES_PORT: '6543',
        API_PORT: '8080',
        HEALTH_CHECK_PORT: '9090',
        WORKER_PREFETCH: '25',
        TASK_TIMEOUT_SECONDS: '60',
        TASK_LEASE_SECONDS: '3',
        TASK_RESULT_MAX_BYTES: '1',
        MAX_RETRIES: '5',
        OUTBOX_POLL_INTERVAL: '250',
        OUTBOX_BATCH_SIZE: '500',
        OUTBOX_MAX_ATTEMPTS: '7',
        OUTBOX_RETENTION_HOURS: '48',
        RECONCILE_AFTER_SECONDS: '45',
        TASK_RETENTION_DAYS: '90',
        SHUTDOWN_TIMEOUT_SECONDS: '15',
      };

      const sut = loadConfig(env);

      expect(sut.postgres.port).toBe(6543);
      expect(sut.api.port).toBe(8080);
      expect(sut.health.port).toBe(9090);
      expect(sut.worker).toMatchObject({ prefetch: 25, taskTimeoutSeconds: 60, leaseSeconds: 3, resultMaxBytes: 1 });
      expect(sut.retry.maxRetries).toBe(5);
      expect(sut.outbox).toEqual({ pollIntervalMs: 250, batchSize: 500, maxAttempts: 7, retentionHours: 48, listenUrl: undefined });
      expect(sut.reconcile).toEqual({ afterSeconds: 45 });
      expect(sut.retention).toEqual({ taskDays: 90 });
      expect(sut.shutdownTimeoutSeconds).toBe(15);
    });

    it.each([
      ['POSTGRES_PORT', '1', (c: AppConfig) => c.postgres.port, 1],
      ['POSTGRES_PORT', '65535', (c: AppConfig) => c.postgres.port, 65535],
      ['API_PORT', '0', (c: AppConfig) => c.api.port, 0],
      ['HEALTH_CHECK_PORT', '0', (c: AppConfig) => c.health.port, 0],
      ['MAX_RETRIES', '0', (c: AppConfig) => c.retry.maxRetries, 0],
      ['MAX_RETRIES', '19', (c: AppConfig) => c.retry.maxRetries, 19],
      ['WORKER_PREFETCH', '1000', (c: AppConfig) => c.worker.prefetch, 1000],
      ['WORKER_WRITE_BATCH', '1', (c: AppConfig) => c.worker.writeBatch, 1],
      ['WORKER_WRITE_BATCH', '1000', (c: AppConfig) => c.worker.writeBatch, 1000],
      ['OUTBOX_POLL_INTERVAL', '10', (c: AppConfig) => c.outbox.pollIntervalMs, 10],
      ['TASK_RETENTION_DAYS', '0', (c: AppConfig) => c.retention.taskDays, 0],
      ['TASK_RETENTION_DAYS', '36500', (c: AppConfig) => c.retention.taskDays, 36500],
    ])('accepts the boundary %s=%s', (variable, value, read, expected) => {
      expect(read(loadConfig({ [variable]: value }))).toBe(expected);
    });

    it.each([
      ['tasks.high', ['tasks.high']],
      ['tasks.high,tasks.low', ['tasks.high', 'tasks.low']],
      ['tasks.medium,tasks.low', ['tasks.medium', 'tasks.low']],
      [' tasks.high , tasks.medium ', ['tasks.high', 'tasks.medium']],
      ['reports.high,reports.medium,reports.low', ['reports.high', 'reports.medium', 'reports.low']],
      ['reports.high,tasks.high,bulk_2.medium,tasks.low', ['reports.high', 'tasks.high', 'bulk_2.medium', 'tasks.low']],
    ])('reads WORKER_QUEUES=%j as %j, in the given order', (value, expected) => {
      expect(loadConfig({ WORKER_QUEUES: value }).worker.queues).toEqual(expected);
    });

    it("gives weighted mode the weights 8, 3, 1 of a queue group's priorities", () => {
      const sut = loadConfig({ WORKER_PRIORITY_MODE: 'weighted', WORKER_QUEUES: 'reports.high,reports.medium,reports.low' });

      expect(sut.worker.priority.weights).toEqual([8, 3, 1]);
    });

    it.each([
      ['report.build', ['report.build']],
      [' report.build , noop ', ['report.build', 'noop']],
    ])('reads WORKER_TASK_TYPES=%j as %j', (value, expected) => {
      expect(loadConfig({ WORKER_TASK_TYPES: value }).worker.taskTypes).toEqual(expected);
    });

    it.each([['Report'], ['noop,noop'], ['noop,,sleep'], ['a b']])('refuses WORKER_TASK_TYPES=%j', (value) => {
      const sut = configErrorOf({ WORKER_TASK_TYPES: value });

      expect(sut.problems).toEqual([{ variable: 'WORKER_TASK_TYPES', message: expect.stringContaining('comma list of distinct task types') }]);
    });

    it.each([
      ['on', true],
      ['off', false],
    ])('reads TASK_EVENTS=%s', (value, everyType) => {
      expect(loadConfig({ TASK_EVENTS: value }).taskEvents).toEqual({ everyType });
    });

    it('refuses TASK_EVENTS=yes', () => {
      expect(configErrorOf({ TASK_EVENTS: 'yes' }).problems.map((p) => p.variable)).toEqual(['TASK_EVENTS']);
    });

    it.each([
      ['10', [10]],
      ['1,86400', [1, 86400]],
      [' 5 , 60 ', [5, 60]],
      [Array.from({ length: 20 }, (_, i) => i + 1).join(','), Array.from({ length: 20 }, (_, i) => i + 1)],
    ])('reads RETRY_DELAYS_SECONDS=%j as %j', (value, expected) => {
      expect(loadConfig({ RETRY_DELAYS_SECONDS: value }).retry.delaysSeconds).toEqual(expected);
    });

    it.each([
      ['quorum', 'quorum'],
      ['QUORUM', 'quorum'],
      ['classic', 'classic'],
    ])('reads QUEUE_TYPE=%s as %s', (value, expected) => {
      expect(loadConfig({ QUEUE_TYPE: value }).rabbitmq.queueType).toBe(expected);
    });

    it.each([
      ['error', 'error'],
      ['warn', 'warn'],
      ['debug', 'debug'],
      ['DEBUG', 'debug'],
    ])('reads LOG_LEVEL=%s as %s', (value, expected) => {
      expect(loadConfig({ LOG_LEVEL: value }).logLevel).toBe(expected);
    });

    it.each([
      ['json', 'json'],
      ['pretty', 'pretty'],
      ['PRETTY', 'pretty'],
      ['', 'json'],
    ])('reads LOG_FORMAT=%s as %s', (value, expected) => {
      expect(loadConfig({ LOG_FORMAT: value }).logFormat).toBe(expected);
    });

    it.each(['postgres://app:secret@db.internal:5432/tasks', 'postgresql://app@db/tasks?sslmode=require'])('keeps DATABASE_URL=%s as postgres.url', (url) => {
      expect(loadConfig({ DATABASE_URL: url }).postgres.url).toBe(url);
    });

    it('reads the Postgres parts and RABBITMQ_URL', () => {
      const env = {
        POSTGRES_HOST: 'db.internal',
        POSTGRES_DB: 'tasks_test_1',
        POSTGRES_USER: 'app',
        POSTGRES_PASSWORD: 's3cret',
        RABBITMQ_URL: 'amqps://app:pw@mq.internal:5671/vhost',
      };

      const sut = loadConfig(env);

      expect(sut.postgres).toMatchObject({ host: 'db.internal', database: 'tasks_test_1', user: 'app', password: 's3cret' });
      expect(sut.rabbitmq.urls).toEqual(['amqps://app:pw@mq.internal:5671/vhost']);
    });

    it('reads a comma list of RABBITMQ_URLs, one per cluster node, in the order given', () => {
      const sut = loadConfig({ RABBITMQ_URL: ' amqp://u:p@h1:5672/vh , amqp://u:p@h2:5672/vh,amqps://u:p@h3/vh' });

      expect(sut.rabbitmq.urls).toEqual(['amqp://u:p@h1:5672/vh', 'amqp://u:p@h2:5672/vh', 'amqps://u:p@h3/vh']);
    });
  });

  describe('bad values', () => {
    it('names every bad variable at once', () => {
      const env = { WORKER_PREFETCH: 'abc', QUEUE_TYPE: 'x', WORKER_QUEUES: 'tasks.urgent' };

      const sut = configErrorOf(env);

      expect(sut.problems.map((p) => p.variable).sort()).toEqual(['QUEUE_TYPE', 'WORKER_PREFETCH', 'WORKER_QUEUES']);
      expect(sut.code).toBe('CONFIG_INVALID');
      expect(sut.message).toContain('3 problems');
      for (const variable of Object.keys(env)) expect(sut.message).toContain(variable);
    });

    it('says what each bad variable accepts and what it got', () => {
      const sut = configErrorOf({ WORKER_PREFETCH: 'abc', QUEUE_TYPE: 'x', WORKER_QUEUES: 'tasks.urgent' });

      expect(sut.message).toContain("WORKER_PREFETCH: must be a whole number from 1 to 1000 (got 'abc')");
      expect(sut.message).toContain("QUEUE_TYPE: must be one of classic, quorum (got 'x')");
      expect(sut.message).toContain('WORKER_QUEUES: must be a comma list of distinct queues from tasks.high, tasks.medium, tasks.low');
    });

    it.each([
      ['POSTGRES_PORT', '0', 'from 1 to 65535'],
      ['POSTGRES_PORT', '65536', 'from 1 to 65535'],
      ['API_PORT', '-1', 'from 0 to 65535'],
      ['HEALTH_CHECK_PORT', 'http', 'from 0 to 65535'],
      ['WORKER_PREFETCH', '0', 'from 1 to 1000'],
      ['WORKER_PREFETCH', '1001', 'from 1 to 1000'],
      ['WORKER_WRITE_BATCH', '0', 'from 1 to 1000'],
      ['WORKER_WRITE_BATCH', '1001', 'from 1 to 1000'],
      ['WORKER_PREFETCH', '2.5', 'from 1 to 1000'],
      ['WORKER_PREFETCH', '1e2', 'from 1 to 1000'],
      ['WORKER_PREFETCH', '-3', 'from 1 to 1000'],
      ['MAX_RETRIES', '20', 'from 0 to 19'],
      ['MAX_RETRIES', '-1', 'from 0 to 19'],
      ['TASK_TIMEOUT_SECONDS', '86401', 'from 1 to 86400'],
      ['TASK_LEASE_SECONDS', '2', 'from 3 to 3600'],
      ['TASK_LEASE_SECONDS', '3601', 'from 3 to 3600'],
      ['TASK_RESULT_MAX_BYTES', '0', 'from 1 to 268435455'],
      ['TASK_RESULT_MAX_BYTES', '268435456', 'from 1 to 268435455'],
      ['OUTBOX_POLL_INTERVAL', '9', 'from 10 to 3600000'],
      ['OUTBOX_BATCH_SIZE', '10001', 'from 1 to 10000'],
      ['OUTBOX_MAX_ATTEMPTS', '0', 'from 1 to 1000'],
      ['OUTBOX_RETENTION_HOURS', '1.5', 'from 1 to 8760'],
      ['RECONCILE_AFTER_SECONDS', '0', 'from 1 to 86400'],
      ['RECONCILE_AFTER_SECONDS', '86401', 'from 1 to 86400'],
      ['RECONCILE_AFTER_SECONDS', '2.5', 'from 1 to 86400'],
      ['TASK_RETENTION_DAYS', '-1', 'from 0 to 36500'],
      ['TASK_RETENTION_DAYS', '36501', 'from 0 to 36500'],
      ['TASK_RETENTION_DAYS', '7.5', 'from 0 to 36500'],
      ['SHUTDOWN_TIMEOUT_SECONDS', '3601', 'from 1 to 3600'],
      ['SHUTDOWN_TIMEOUT_SECONDS', '99999999999999999999', 'from 1 to 3600'],
    ])('refuses %s=%s as not a whole number %s', (variable, value, range) => {
      const sut = configErrorOf({ [variable]: value });

      expect(sut.problems).toEqual([{ variable, message: `must be a whole number ${range} (got '${value}')` }]);
    });

    it.each([
      ['tasks.urgent'],
      ['tasks.high,tasks.urgent'],
      ['tasks.high,tasks.high'],
      ['tasks.low,tasks.medium,tasks.low'],
      [','],
      ['TASKS.HIGH'],
      ['reports'],
      ['re.ports.high'],
      ['tasks.dlq'],
    ])('refuses WORKER_QUEUES=%j', (value) => {
      const sut = configErrorOf({ WORKER_QUEUES: value });

      expect(sut.problems).toEqual([{ variable: 'WORKER_QUEUES', message: expect.stringContaining('distinct queues') }]);
    });

    it.each([
      ['tasks.low,tasks.high', 'tasks.high,tasks.low'],
      ['tasks.medium,tasks.high', 'tasks.high,tasks.medium'],
      ['tasks.high,tasks.low,tasks.medium', 'tasks.high,tasks.medium,tasks.low'],
      ['reports.low,tasks.high', 'tasks.high,reports.low'],
    ])('refuses WORKER_QUEUES=%j, a lower priority before a higher one, and names the order it means (%j)', (value, meant) => {
      const sut = configErrorOf({ WORKER_QUEUES: value });

      expect(sut.problems).toEqual([
        {
          variable: 'WORKER_QUEUES',
          message:
            `must list the queues highest priority first (tasks.high, tasks.medium, tasks.low): got '${value}', did you mean '${meant}'? ` +
            '(Any order is accepted with WORKER_PRIORITY_MODE=weighted and WORKER_PRIORITY_WEIGHTS given in the same order.)',
        },
      ]);
    });

    it.each([['0'], ['86401'], ['-5'], ['1.5'], ['abc'], ['5,,30'], [','], ['5;30'], [Array.from({ length: 21 }, () => '5').join(',')]])(
      'refuses RETRY_DELAYS_SECONDS=%j',
      (value) => {
        const sut = configErrorOf({ RETRY_DELAYS_SECONDS: value });

        expect(sut.problems).toEqual([
          { variable: 'RETRY_DELAYS_SECONDS', message: expect.stringContaining('1 to 20 delays in whole seconds, each from 1 to 86400') },
        ]);
      },
    );

    it.each([
      ['QUEUE_TYPE', 'stream', 'must be one of classic, quorum'],
      ['LOG_LEVEL', 'verbose', 'must be one of error, warn, info, debug'],
      ['LOG_FORMAT', 'text', 'must be one of json, pretty'],
    ])('refuses %s=%s', (variable, value, accepted) => {
      const sut = configErrorOf({ [variable]: value });

      expect(sut.problems).toEqual([{ variable, message: `${accepted} (got '${value}')` }]);
    });

    it.each(['my-db', '1tasks', 'a'.repeat(64)])('refuses POSTGRES_DB=%s', (value) => {
      const sut = configErrorOf({ POSTGRES_DB: value });

      expect(sut.problems).toEqual([{ variable: 'POSTGRES_DB', message: expect.stringContaining('letters, digits and underscores') }]);
    });

    it.each(['not a url', 'http://mq.internal:5672', 'amqp//guest:guest@127.0.0.1'])('refuses RABBITMQ_URL=%s', (value) => {
      const sut = configErrorOf({ RABBITMQ_URL: value });

      expect(sut.problems).toEqual([{ variable: 'RABBITMQ_URL', message: expect.stringContaining('must be a URL starting with amqp:// or amqps://') }]);
    });

    it.each([
      ['amqp://u:p@h1/vh,', 'entry 2 of 2 is empty'],
      ['amqp://u:p@h1/vh,,amqp://u:p@h2/vh', 'entry 2 of 3 is empty'],
      ['amqp://u:p@h1/vh,http://u:p@h2/vh', "entry 2 of 2 is not one: got 'http://***@h2/vh'"],
      ['amqp://u:p@h1/vh,amqp://u:p@h1/vh', 'h1:5672/vh is listed twice'],
      ['amqp://u:p@h1/a,amqp://u:p@h2/b', "the URLs name different vhosts ('a', 'b')"],
      ['amqp://u:p@h1,amqp://u:p@h2/other', "the URLs name different vhosts ('/', 'other')"],
    ])('refuses RABBITMQ_URL=%s, naming what is wrong (%s)', (value, problem) => {
      const sut = configErrorOf({ RABBITMQ_URL: value });

      expect(sut.problems).toEqual([{ variable: 'RABBITMQ_URL', message: expect.stringContaining('or a comma list of such URLs, one per node') }]);
      expect(sut.problems[0].message).toContain(problem);
      expect(sut.message).not.toContain(':p@');
    });

    it('never shows a piece of a password that a bare comma cut off', () => {
      const sut = configErrorOf({ RABBITMQ_URL: 'amqp://app:Sup3r,Secret@h1:5672/vh' });

      expect(sut.problems.map((p) => p.variable)).toEqual(['RABBITMQ_URL']);
      expect(sut.message).not.toMatch(/Sup3r|Secret/);
      expect(sut.message).toContain('%2C');
    });

    it('refuses a DATABASE_URL that is not postgres', () => {
      const sut = configErrorOf({ DATABASE_URL: 'mysql://app@db/tasks' });

      expect(sut.problems).toEqual([
        { variable: 'DATABASE_URL', message: expect.stringContaining('must be a URL starting with postgres:// or postgresql://') },
      ]);
    });

    it.each([
      ['RABBITMQ_URL', 'amqp:'],
      ['RABBITMQ_URL', 'amqp://'],
      ['RABBITMQ_URL', 'amqp:nonsense'],
      ['DATABASE_URL', 'postgres:'],
    ])('refuses %s=%s, a URL without a host', (variable, value) => {
      const sut = configErrorOf({ [variable]: value });

      expect(sut.problems.map((p) => p.variable)).toEqual([variable]);
    });

    it.each([
      ['RABBITMQ_URL', 'http://guest:Sup3rSecret@mq.internal:5672'],
      ['DATABASE_URL', 'mysql://app:Sup3rSecret@db.internal/tasks'],
      ['RABBITMQ_URL', 'http://guest:Sup3r@Secret@mq:5672'],
      ['RABBITMQ_URL', 'http://:Sup3rSecret@mq:5672'],
    ])('does not echo the password of a bad %s (%s)', (variable, value) => {
      const sut = configErrorOf({ [variable]: value });

      expect(sut.problems).toHaveLength(1);
      expect(sut.message).not.toMatch(/Sup3r|Secret/);
      expect(sut.problems[0].message).toContain('***');
    });
  });

  describe('POSTGRES_POOLER and OUTBOX_LISTEN_DATABASE_URL', () => {
    it.each(['none', 'transaction', 'TRANSACTION'])('accepts POSTGRES_POOLER=%s', (value) => {
      expect(loadConfig({ POSTGRES_POOLER: value }).postgres.pooler).toBe(value.toLowerCase());
    });

    it('refuses another POSTGRES_POOLER, naming the values it accepts', () => {
      expect(configErrorOf({ POSTGRES_POOLER: 'session' }).message).toMatch(/POSTGRES_POOLER.*none, transaction.*'session'/);
    });

    it('reads OUTBOX_LISTEN_DATABASE_URL as a postgres URL', () => {
      const url = 'postgres://relay:pw@db-direct.internal:5432/tasks';
      expect(loadConfig({ OUTBOX_LISTEN_DATABASE_URL: url }).outbox.listenUrl).toBe(url);
    });

    it('refuses an OUTBOX_LISTEN_DATABASE_URL that is not a postgres URL, without printing its password', () => {
      const message = configErrorOf({ OUTBOX_LISTEN_DATABASE_URL: 'mysql://u:hunter2@db/tasks' }).message;
      expect(message).toMatch(/OUTBOX_LISTEN_DATABASE_URL.*postgres:\/\/ or postgresql:\/\//);
      expect(message).not.toContain('hunter2');
    });
  });

  describe('POSTGRES_PASSWORD', () => {
    it('keeps a password as given, spaces included', () => {
      const sut = loadConfig({ POSTGRES_PASSWORD: ' pass word ' });

      expect(sut.postgres.password).toBe(' pass word ');
    });

    it('keeps an empty password when the variable is set but empty', () => {
      const sut = loadConfig({ POSTGRES_PASSWORD: '' });

      expect(sut.postgres.password).toBe('');
    });
  });

  describe('http.request settings', () => {
    it('reads HTTP_TASK_ALLOWED_HOSTS entry by entry and HTTP_TASK_MAX_RESPONSE_BYTES', () => {
      const sut = loadConfig({ HTTP_TASK_ALLOWED_HOSTS: 'api.example.com, *.hooks.example.com:443,127.0.0.1:8080', HTTP_TASK_MAX_RESPONSE_BYTES: '1' });

      expect(sut.httpTask).toEqual({
        allowedHosts: [
          { kind: 'name', name: 'api.example.com' },
          { kind: 'subdomains', suffix: 'hooks.example.com', port: 443 },
          { kind: 'ip', ip: '127.0.0.1', port: 8080 },
        ],
        maxResponseBytes: 1,
      });
    });

    it('stops on a bad entry, naming the variable, what it accepts and the entry', () => {
      const sut = configErrorOf({ HTTP_TASK_ALLOWED_HOSTS: 'api.example.com,http://evil.example.com' });

      expect(sut.problems).toEqual([
        { variable: 'HTTP_TASK_ALLOWED_HOSTS', message: expect.stringContaining('must be a comma list of host or host:port entries') },
      ]);
      expect(sut.message).toContain("'http://evil.example.com' is not a host");
    });

    it.each(['0', '-1', '104857601', '1.5'])('refuses HTTP_TASK_MAX_RESPONSE_BYTES=%s', (value) => {
      const sut = configErrorOf({ HTTP_TASK_MAX_RESPONSE_BYTES: value });

      expect(sut.problems).toEqual([{ variable: 'HTTP_TASK_MAX_RESPONSE_BYTES', message: `must be a whole number from 1 to 104857600 (got '${value}')` }]);
    });
  });

  describe('create batching', () => {
    it('batches creates within 1 ms, up to 500 per statement, by default', () => {
      const sut = loadConfig({});

      expect(sut.api.createBatch).toEqual({ windowMs: 1, max: 500 });
    });

    it('reads CREATE_BATCH_WINDOW_MS=0 as batching off and CREATE_BATCH_MAX', () => {
      const sut = loadConfig({ CREATE_BATCH_WINDOW_MS: '0', CREATE_BATCH_MAX: '1000' });

      expect(sut.api.createBatch).toEqual({ windowMs: 0, max: 1000 });
    });

    it.each(['-1', '1001', '0.5', 'fast'])('refuses CREATE_BATCH_WINDOW_MS=%s, naming what it accepts', (value) => {
      const sut = configErrorOf({ CREATE_BATCH_WINDOW_MS: value });

      expect(sut.problems).toEqual([{ variable: 'CREATE_BATCH_WINDOW_MS', message: `must be a whole number from 0 to 1000 (got '${value}')` }]);
    });

    it.each(['0', '1001', 'many'])('refuses CREATE_BATCH_MAX=%s, naming what it accepts', (value) => {
      const sut = configErrorOf({ CREATE_BATCH_MAX: value });

      expect(sut.problems).toEqual([{ variable: 'CREATE_BATCH_MAX', message: `must be a whole number from 1 to 1000 (got '${value}')` }]);
    });
  });

  describe('API security settings', () => {
    it('reads API_KEYS, the rate limit and CORS_ORIGINS', () => {
      const sut = loadConfig({
        API_KEYS: 'key-one-0123456789abcdef, key-two-0123456789abcdef',
        RATE_LIMIT_MAX: '100',
        RATE_LIMIT_WINDOW_SECONDS: '10',
        CORS_ORIGINS: 'https://app.example.com,http://localhost:5173',
      });

      expect(sut.api.keys).toEqual(['key-one-0123456789abcdef', 'key-two-0123456789abcdef']);
      expect(sut.api.rateLimit).toEqual({ max: 100, windowSeconds: 10 });
      expect(sut.api.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:5173']);
    });

    it('reads API_READ_ONLY_KEYS beside API_KEYS', () => {
      const sut = loadConfig({ API_KEYS: 'writer-key-0123456789abcdef', API_READ_ONLY_KEYS: 'reader-key-0123456789abcdef' });

      expect(sut.api.keys).toEqual(['writer-key-0123456789abcdef']);
      expect(sut.api.readOnlyKeys).toEqual(['reader-key-0123456789abcdef']);
    });

    it('refuses a key listed both as read-only and as a full key, without echoing it', () => {
      const sut = configErrorOf({ API_KEYS: 'shared-key-0123456789abcdef', API_READ_ONLY_KEYS: 'shared-key-0123456789abcdef' });

      expect(sut.problems).toEqual([{ variable: 'API_READ_ONLY_KEYS', message: expect.stringContaining('also in API_KEYS') }]);
      expect(sut.message).not.toContain('shared-key');
    });

    it('refuses a short API key without echoing it', () => {
      const sut = configErrorOf({ API_KEYS: 'tooshort' });

      expect(sut.problems.map((p) => p.variable)).toEqual(['API_KEYS']);
      expect(sut.message).not.toContain('tooshort');
    });

    it('refuses an origin with a path', () => {
      const sut = configErrorOf({ CORS_ORIGINS: 'https://app.example.com/login' });

      expect(sut.problems).toEqual([{ variable: 'CORS_ORIGINS', message: expect.stringContaining('https://app.example.com/login') }]);
    });
  });

  describe('NODE_ENV', () => {
    it.each([
      ['production', true],
      ['development', false],
      ['test', false],
      ['PRODUCTION', false],
    ])('reads NODE_ENV=%s as production %s', (value, expected) => {
      expect(loadConfig({ NODE_ENV: value }).production).toBe(expected);
    });
  });

  describe('TRUSTED_PROXIES', () => {
    it.each([
      ['', { kind: 'none' }],
      ['  ', { kind: 'none' }],
      ['1', { kind: 'hops', hops: 1 }],
      ['20', { kind: 'hops', hops: 20 }],
      ['127.0.0.1', { kind: 'addresses', addresses: ['127.0.0.1'] }],
      ['10.0.0.0/8, 192.168.1.10 ,::1', { kind: 'addresses', addresses: ['10.0.0.0/8', '192.168.1.10', '::1'] }],
      ['fd00::/8,0.0.0.0/0', { kind: 'addresses', addresses: ['fd00::/8', '0.0.0.0/0'] }],
      ['::ffff:10.0.0.1/128', { kind: 'addresses', addresses: ['::ffff:10.0.0.1/128'] }],
      ['loopback,linklocal,uniquelocal', { kind: 'addresses', addresses: ['loopback', 'linklocal', 'uniquelocal'] }],
    ])('reads TRUSTED_PROXIES=%j', (value, expected) => {
      expect(loadConfig({ TRUSTED_PROXIES: value }).api.trustedProxies).toEqual(expected);
    });

    it.each(['0', '21', '-1', '1.5', 'proxy.internal', '10.0.0.0/33', '::1/129', '10.0.0.1/', '10.0.0.1/8/8', '256.0.0.1', '10.0.0.0/08x', 'true', ',', '*'])(
      'refuses TRUSTED_PROXIES=%j and says what it accepts',
      (value) => {
        const sut = configErrorOf({ TRUSTED_PROXIES: value });

        expect(sut.problems).toEqual([
          { variable: 'TRUSTED_PROXIES', message: expect.stringContaining('a number of proxies from 1 to 20, or a comma list of IP addresses, CIDR ranges') },
        ]);
      },
    );
  });

  describe('WORKER_EXPRESS_SLOT', () => {
    it.each([
      ['on', true],
      ['OFF', false],
      ['off', false],
    ])('reads WORKER_EXPRESS_SLOT=%j as %j', (value, expected) => {
      expect(loadConfig({ WORKER_EXPRESS_SLOT: value }).worker.expressSlot).toBe(expected);
    });

    it.each(['yes', 'true', '1'])('refuses WORKER_EXPRESS_SLOT=%j and names what it takes', (value) => {
      const sut = configErrorOf({ WORKER_EXPRESS_SLOT: value });

      expect(sut.problems).toEqual([{ variable: 'WORKER_EXPRESS_SLOT', message: expect.stringMatching(/on.*off/) }]);
    });
  });

  describe('WORKER_PRIORITY_MODE, WORKER_PRIORITY_WEIGHTS and WORKER_PRIORITY_AGING_MS', () => {
    it('defaults to strict, with no weights and the aging bound unused', () => {
      expect(loadConfig({}).worker.priority).toEqual({ mode: 'strict', weights: [], agingMs: 30_000 });
    });

    it.each([
      ['tasks.high,tasks.medium,tasks.low', [8, 3, 1]],
      ['tasks.high,tasks.low', [8, 1]],
      ['tasks.medium', [3]],
    ])('gives weighted mode on WORKER_QUEUES=%s the weights %j when none are set', (queues, weights) => {
      expect(loadConfig({ WORKER_PRIORITY_MODE: 'weighted', WORKER_QUEUES: queues }).worker.priority).toEqual({ mode: 'weighted', weights, agingMs: 30_000 });
    });

    it('reads the weights in WORKER_QUEUES order and the aging bound', () => {
      const sut = loadConfig({ WORKER_PRIORITY_MODE: 'Weighted', WORKER_PRIORITY_WEIGHTS: ' 5, 2 ,1', WORKER_PRIORITY_AGING_MS: '0' });

      expect(sut.worker.priority).toEqual({ mode: 'weighted', weights: [5, 2, 1], agingMs: 0 });
    });

    it('accepts any queue order in weighted mode when the weights are given in that order', () => {
      const sut = loadConfig({ WORKER_PRIORITY_MODE: 'weighted', WORKER_QUEUES: 'tasks.low,tasks.high', WORKER_PRIORITY_WEIGHTS: '1,4' });

      expect(sut.worker.queues).toEqual(['tasks.low', 'tasks.high']);
      expect(sut.worker.priority.weights).toEqual([1, 4]);
    });

    it('refuses a queue order other than highest first in weighted mode without explicit weights (the defaults assume it)', () => {
      const sut = configErrorOf({ WORKER_PRIORITY_MODE: 'weighted', WORKER_QUEUES: 'tasks.low,tasks.high' });

      expect(sut.problems).toEqual([{ variable: 'WORKER_QUEUES', message: expect.stringContaining("did you mean 'tasks.high,tasks.low'?") }]);
    });

    it('refuses an unknown mode, naming the values it accepts', () => {
      const sut = configErrorOf({ WORKER_PRIORITY_MODE: 'fair' });

      expect(sut.problems).toEqual([{ variable: 'WORKER_PRIORITY_MODE', message: "must be one of strict, weighted (got 'fair')" }]);
    });

    it.each([['8,3'], ['8,3,1,1'], ['8,0,1'], ['8,-3,1'], ['8,3.5,1'], ['a,b,c'], ['8,,1'], ['1001,1,1']])(
      'refuses WORKER_PRIORITY_WEIGHTS=%j for three queues, saying what it accepts',
      (value) => {
        const sut = configErrorOf({ WORKER_PRIORITY_MODE: 'weighted', WORKER_PRIORITY_WEIGHTS: value });

        expect(sut.problems).toEqual([
          {
            variable: 'WORKER_PRIORITY_WEIGHTS',
            message:
              'must be a comma list of 3 whole weights from 1 to 1000, one per queue of WORKER_QUEUES in its order ' +
              `(tasks.high, tasks.medium, tasks.low), e.g. 8,3,1 (got '${value}')`,
          },
        ]);
      },
    );

    it('refuses weights in strict mode, where they would do nothing', () => {
      const sut = configErrorOf({ WORKER_PRIORITY_WEIGHTS: '8,3,1' });

      expect(sut.problems).toEqual([
        { variable: 'WORKER_PRIORITY_WEIGHTS', message: expect.stringContaining('applies only with WORKER_PRIORITY_MODE=weighted') },
      ]);
    });

    it.each(['-1', '3600001', '1.5', 'soon'])('refuses WORKER_PRIORITY_AGING_MS=%j', (value) => {
      const sut = configErrorOf({ WORKER_PRIORITY_MODE: 'weighted', WORKER_PRIORITY_AGING_MS: value });

      expect(sut.problems).toEqual([{ variable: 'WORKER_PRIORITY_AGING_MS', message: `must be a whole number from 0 to 3600000 (got '${value}')` }]);
    });
  });
});

import { ALLOWED_HOSTS_FORMAT, type AllowedHost, parseAllowedHosts } from './allowed-hosts.js';
import { isIP } from 'node:net';
import { ConfigError, type ConfigProblem } from './config.error.js';
import { parseBrokerUrls } from './rabbitmq-urls.js';
import {
  type AppConfig,
  defaultPriorityWeight,
  EXPRESS_SLOT_MODES,
  type ExpressSlotMode,
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type LogLevel,
  PRIORITY_MODES,
  type PriorityMode,
  QUEUE_TYPES,
  POSTGRES_POOLERS,
  type PostgresPooler,
  type QueueType,
  queuePriorityRank,
  TASK_EVENTS_MODES,
  TASK_QUEUES,
  type TaskEventsMode,
  type TrustedProxies,
  WORK_QUEUE_PATTERN,
} from './config.types.js';

/** Every variable with its default; `.env.example` and README's configuration table mirror this one. */
export const CONFIG_DEFAULTS = {
  POSTGRES_HOST: '127.0.0.1',
  POSTGRES_PORT: '5432',
  POSTGRES_DB: 'tasks',
  POSTGRES_USER: 'postgres',
  POSTGRES_PASSWORD: 'postgres',
  DATABASE_URL: '',
  POSTGRES_POOLER: 'none',
  OUTBOX_LISTEN_DATABASE_URL: '',
  RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:5672',
  API_PORT: '3000',
  API_BODY_LIMIT_BYTES: '1048576',
  API_KEYS: '',
  API_READ_ONLY_KEYS: '',
  RATE_LIMIT_MAX: '0',
  RATE_LIMIT_WINDOW_SECONDS: '60',
  CREATE_BATCH_WINDOW_MS: '1',
  CREATE_BATCH_MAX: '500',
  CORS_ORIGINS: '',
  TRUSTED_PROXIES: '',
  HEALTH_CHECK_PORT: '3001',
  WORKER_QUEUES: TASK_QUEUES.join(','),
  WORKER_PREFETCH: '10',
  WORKER_WRITE_BATCH: '100',
  WORKER_PRIORITY_MODE: 'strict',
  WORKER_PRIORITY_WEIGHTS: '',
  WORKER_PRIORITY_AGING_MS: '30000',
  WORKER_EXPRESS_SLOT: 'on',
  WORKER_TASK_TYPES: '',
  TASK_EVENTS: 'off',
  MAX_RETRIES: '3',
  RETRY_DELAYS_SECONDS: '5,30,120',
  TASK_TIMEOUT_SECONDS: '300',
  HTTP_TASK_ALLOWED_HOSTS: '',
  HTTP_TASK_MAX_RESPONSE_BYTES: '1048576',
  TASK_LEASE_SECONDS: '30',
  TASK_RESULT_MAX_BYTES: '1048576',
  OUTBOX_POLL_INTERVAL: '1000',
  OUTBOX_BATCH_SIZE: '100',
  OUTBOX_MAX_ATTEMPTS: '10',
  OUTBOX_RETENTION_HOURS: '24',
  RECONCILE_AFTER_SECONDS: '300',
  TASK_RETENTION_DAYS: '30',
  QUEUE_TYPE: 'classic',
  SHUTDOWN_TIMEOUT_SECONDS: '30',
  LOG_LEVEL: 'info',
  LOG_FORMAT: '',
  NODE_ENV: 'development',
} as const satisfies Record<string, string>;

export type ConfigVariable = keyof typeof CONFIG_DEFAULTS;
type Env = Record<string, string | undefined>;

/**
 * Parses the environment into a typed {@link AppConfig}. Pure: it reads only `env`.
 * Collects every problem before throwing one {@link ConfigError} that names each variable.
 */
export function loadConfig(env: Env = process.env): AppConfig {
  const problems: ConfigProblem[] = [];
  const reader = new EnvReader(env, problems);

  const config: AppConfig = {
    production: reader.raw('NODE_ENV') === 'production',
    postgres: {
      host: reader.text('POSTGRES_HOST'),
      port: reader.integer('POSTGRES_PORT', 1, 65535),
      database: reader.identifier('POSTGRES_DB'),
      user: reader.text('POSTGRES_USER'),
      password: reader.secret('POSTGRES_PASSWORD'),
      url: reader.optionalUrl('DATABASE_URL', ['postgres:', 'postgresql:']),
      pooler: reader.oneOf<PostgresPooler>('POSTGRES_POOLER', POSTGRES_POOLERS),
    },
    rabbitmq: {
      urls: reader.brokerUrls('RABBITMQ_URL'),
      queueType: reader.oneOf<QueueType>('QUEUE_TYPE', QUEUE_TYPES),
    },
    api: {
      port: reader.integer('API_PORT', 0, 65535),
      bodyLimitBytes: reader.integer('API_BODY_LIMIT_BYTES', 1024, 104_857_600),
      keys: reader.keyList('API_KEYS'),
      readOnlyKeys: reader.keyList('API_READ_ONLY_KEYS'),
      rateLimit: { max: reader.integer('RATE_LIMIT_MAX', 0, 1_000_000), windowSeconds: reader.integer('RATE_LIMIT_WINDOW_SECONDS', 1, 86_400) },
      corsOrigins: reader.originList('CORS_ORIGINS'),
      trustedProxies: reader.trustedProxies('TRUSTED_PROXIES'),
      createBatch: { windowMs: reader.integer('CREATE_BATCH_WINDOW_MS', 0, 1000), max: reader.integer('CREATE_BATCH_MAX', 1, 1000) },
    },
    health: { port: reader.integer('HEALTH_CHECK_PORT', 0, 65535) },
    worker: {
      ...reader.workerQueues(),
      taskTypes: reader.typeList('WORKER_TASK_TYPES'),
      prefetch: reader.integer('WORKER_PREFETCH', 1, 1000),
      writeBatch: reader.integer('WORKER_WRITE_BATCH', 1, 1000),
      expressSlot: reader.oneOf<ExpressSlotMode>('WORKER_EXPRESS_SLOT', EXPRESS_SLOT_MODES) === 'on',
      taskTimeoutSeconds: reader.integer('TASK_TIMEOUT_SECONDS', 1, 86_400),
      leaseSeconds: reader.integer('TASK_LEASE_SECONDS', 3, 3_600),
      resultMaxBytes: reader.integer('TASK_RESULT_MAX_BYTES', 1, 268_435_455),
    },
    retry: {
      maxRetries: reader.integer('MAX_RETRIES', 0, 19),
      delaysSeconds: reader.delayList('RETRY_DELAYS_SECONDS'),
    },
    taskEvents: { everyType: reader.oneOf<TaskEventsMode>('TASK_EVENTS', TASK_EVENTS_MODES) === 'on' },
    httpTask: {
      allowedHosts: reader.allowedHosts('HTTP_TASK_ALLOWED_HOSTS'),
      maxResponseBytes: reader.integer('HTTP_TASK_MAX_RESPONSE_BYTES', 1, 104_857_600),
    },
    outbox: {
      pollIntervalMs: reader.integer('OUTBOX_POLL_INTERVAL', 10, 3_600_000),
      batchSize: reader.integer('OUTBOX_BATCH_SIZE', 1, 10_000),
      maxAttempts: reader.integer('OUTBOX_MAX_ATTEMPTS', 1, 1_000),
      retentionHours: reader.integer('OUTBOX_RETENTION_HOURS', 1, 8_760),
      listenUrl: reader.optionalUrl('OUTBOX_LISTEN_DATABASE_URL', ['postgres:', 'postgresql:']),
    },
    reconcile: { afterSeconds: reader.integer('RECONCILE_AFTER_SECONDS', 1, 86_400) },
    retention: { taskDays: reader.integer('TASK_RETENTION_DAYS', 0, 36_500) },
    shutdownTimeoutSeconds: reader.integer('SHUTDOWN_TIMEOUT_SECONDS', 1, 3_600),
    logLevel: reader.oneOf<LogLevel>('LOG_LEVEL', LOG_LEVELS),
    // Empty is json here; `npm start` sets pretty for its apps before they read it (see scripts/start.mjs).
    logFormat: reader.raw('LOG_FORMAT') === '' ? 'json' : reader.oneOf<LogFormat>('LOG_FORMAT', LOG_FORMATS),
  };

  if (config.api.readOnlyKeys.some((key) => config.api.keys.includes(key))) {
    problems.push({
      variable: 'API_READ_ONLY_KEYS',
      message: 'must not list a key that is also in API_KEYS (a key is either read-only or not; values not shown)',
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** Reads one variable at a time, falling back to its default and recording what is wrong. */
class EnvReader {
  constructor(
    private readonly env: Env,
    private readonly problems: ConfigProblem[],
  ) {}

  raw(name: ConfigVariable): string {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? CONFIG_DEFAULTS[name] : value.trim();
  }

  /** A password: kept as given (spaces included); set but empty means empty, unset means the default. */
  secret(name: ConfigVariable): string {
    const value = this.env[name];
    return value === undefined ? CONFIG_DEFAULTS[name] : value;
  }

  text(name: ConfigVariable): string {
    const value = this.raw(name);
    if (value === '') this.fail(name, 'must not be empty');
    return value;
  }

  identifier(name: ConfigVariable): string {
    const value = this.raw(name);
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(value)) {
      this.fail(name, `must be a database name of letters, digits and underscores, 1 to 63 long (got '${value}')`);
    }
    return value;
  }

  integer(name: ConfigVariable, min: number, max: number): number {
    const value = this.raw(name);
    const parsed = /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      this.fail(name, `must be a whole number from ${min} to ${max} (got '${value}')`);
      return min;
    }
    return parsed;
  }

  oneOf<T extends string>(name: ConfigVariable, allowed: readonly T[]): T {
    const value = this.raw(name).toLowerCase();
    if (!(allowed as readonly string[]).includes(value)) {
      this.fail(name, `must be one of ${allowed.join(', ')} (got '${this.raw(name)}')`);
      return allowed[0];
    }
    return value as T;
  }

  url(name: ConfigVariable, protocols: string[]): string {
    const value = this.raw(name);
    if (!isUrlOf(value, protocols)) {
      this.fail(name, `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')} (got '${redact(value)}')`);
    }
    return value;
  }

  /** One broker URL, or a comma list of them (the nodes of a cluster): see {@link parseBrokerUrls}. */
  brokerUrls(name: ConfigVariable): string[] {
    const parsed = parseBrokerUrls(this.raw(name));
    if (parsed.problem !== undefined) {
      this.fail(name, parsed.problem);
      return [CONFIG_DEFAULTS[name]];
    }
    return parsed.urls;
  }

  optionalUrl(name: ConfigVariable, protocols: string[]): string | undefined {
    const value = this.raw(name);
    if (value === '') return undefined;
    return this.url(name, protocols);
  }

  /** Comma list of API keys, each 16–256 printable characters with no spaces or commas. */
  keyList(name: ConfigVariable): string[] {
    const keys = this.secret(name)
      .split(',')
      .map((k) => k.trim())
      .filter((k) => k !== '');
    if (keys.some((k) => !/^[\x21-\x2b\x2d-\x7e]{16,256}$/.test(k))) {
      this.fail(name, 'must be a comma list of keys, each 16 to 256 printable characters without spaces or commas (values not shown)');
      return [];
    }
    return keys;
  }

  /** Comma list of origins (`https://app.example.com`) or `*`; empty turns CORS off. */
  originList(name: ConfigVariable): string[] {
    const value = this.raw(name);
    const origins = value
      .split(',')
      .map((o) => o.trim())
      .filter((o) => o !== '');
    const bad = origins.filter((o) => o !== '*' && !/^https?:\/\/[^/\s]+$/.test(o));
    if (bad.length > 0) {
      this.fail(name, `must be * or a comma list of origins like https://app.example.com, without a path (got '${bad.join(',')}')`);
      return [];
    }
    return origins;
  }

  /** `HTTP_TASK_ALLOWED_HOSTS`: every entry must parse, or the process stops naming the bad ones. */
  allowedHosts(name: ConfigVariable): AllowedHost[] {
    const { hosts, bad } = parseAllowedHosts(this.raw(name));
    if (bad.length > 0) {
      this.fail(name, `must be ${ALLOWED_HOSTS_FORMAT}; empty refuses every call (${bad.join('; ')})`);
      return [];
    }
    return hosts;
  }

  /**
   * Empty: trust no proxy. A whole number 1–20: that many proxies in front. Otherwise a comma
   * list of IP addresses, CIDR ranges (`10.0.0.0/8`, `fd00::/8`) or the names `loopback`,
   * `linklocal`, `uniquelocal`.
   */
  trustedProxies(name: ConfigVariable): TrustedProxies {
    const value = this.raw(name);
    if (value === '') return { kind: 'none' };
    if (/^\d+$/.test(value)) {
      const hops = Number(value);
      if (hops >= 1 && hops <= 20) return { kind: 'hops', hops };
    } else {
      const entries = value
        .split(',')
        .map((e) => e.trim())
        .filter((e) => e !== '');
      if (entries.length > 0 && entries.every(isProxyEntry)) return { kind: 'addresses', addresses: entries };
    }
    this.fail(
      name,
      'must be empty (trust no proxy), a number of proxies from 1 to 20, ' +
        `or a comma list of IP addresses, CIDR ranges and the names loopback, linklocal, uniquelocal (got '${value}')`,
    );
    return { kind: 'none' };
  }

  /**
   * WORKER_QUEUES with WORKER_PRIORITY_MODE, WORKER_PRIORITY_WEIGHTS and WORKER_PRIORITY_AGING_MS,
   * read together: in strict mode the listing order is the priority order, so it must be highest
   * first; in weighted mode the weights decide, so any order is accepted once the weights are
   * given explicitly (they are read in that order).
   */
  workerQueues(): { queues: string[]; priority: AppConfig['worker']['priority'] } {
    const mode = this.oneOf<PriorityMode>('WORKER_PRIORITY_MODE', PRIORITY_MODES);
    const weightsGiven = this.raw('WORKER_PRIORITY_WEIGHTS') !== '';
    const queues = this.queueList('WORKER_QUEUES', mode === 'strict' || !weightsGiven ? 'highest first' : 'any order');
    const agingMs = this.integer('WORKER_PRIORITY_AGING_MS', 0, 3_600_000);
    if (mode === 'strict') {
      // Weights would silently do nothing; the aging bound has a default and is simply unused.
      if (weightsGiven)
        this.fail(
          'WORKER_PRIORITY_WEIGHTS',
          "applies only with WORKER_PRIORITY_MODE=weighted: leave it empty in strict mode (got '" + this.raw('WORKER_PRIORITY_WEIGHTS') + "')",
        );
      return { queues, priority: { mode, weights: [], agingMs } };
    }
    return { queues, priority: { mode, weights: this.weightList('WORKER_PRIORITY_WEIGHTS', queues), agingMs } };
  }

  /** One whole weight from 1 to 1000 per queue, in WORKER_QUEUES order; empty: 8, 3 and 1 for high, medium and low. */
  weightList(name: ConfigVariable, queues: readonly string[]): number[] {
    const value = this.raw(name);
    if (value === '') return queues.map(defaultPriorityWeight);
    const weights = value.split(',').map((item) => (/^\d+$/.test(item.trim()) ? Number(item.trim()) : Number.NaN));
    if (weights.length !== queues.length || weights.some((w) => !Number.isSafeInteger(w) || w < 1 || w > 1000)) {
      this.fail(
        name,
        `must be a comma list of ${queues.length} whole weights from 1 to 1000, one per queue of WORKER_QUEUES in its order ` +
          `(${queues.join(', ')}), e.g. ${queues.map(defaultPriorityWeight).join(',')} (got '${value}')`,
      );
      return queues.map(defaultPriorityWeight);
    }
    return weights;
  }

  /**
   * Work queues: `tasks.high|medium|low` or a queue group's `<group>.high|medium|low`. Whether a
   * group exists is checked by the worker against its registry; this checks the form and the order.
   */
  queueList(name: ConfigVariable, order: 'highest first' | 'any order' = 'highest first'): string[] {
    const value = this.raw(name);
    const items = value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
    const malformed = items.filter((item) => !WORK_QUEUE_PATTERN.test(item));
    if (items.length === 0 || malformed.length > 0 || new Set(items).size !== items.length) {
      this.fail(
        name,
        `must be a comma list of distinct queues from ${TASK_QUEUES.join(', ')} or a queue group's <group>.high, <group>.medium, <group>.low, ` +
          `highest priority first (got '${value}')`,
      );
      return [...TASK_QUEUES];
    }
    if (order === 'any order') return items;
    // The worker serves its queues in this order: a lower queue listed first would make its
    // tasks go before higher ones. Refused, never silently put in order. Queues of several
    // groups rank by their priority alone.
    const ranks = items.map(queuePriorityRank);
    if (ranks.some((rank, i) => i > 0 && rank < ranks[i - 1])) {
      const ordered = [...items].sort((a, b) => queuePriorityRank(a) - queuePriorityRank(b));
      this.fail(
        name,
        `must list the queues highest priority first (${TASK_QUEUES.join(', ')}): got '${value}', did you mean '${ordered.join(',')}'? ` +
          '(Any order is accepted with WORKER_PRIORITY_MODE=weighted and WORKER_PRIORITY_WEIGHTS given in the same order.)',
      );
      return ordered;
    }
    return items;
  }

  /** WORKER_TASK_TYPES: empty, every type; otherwise a comma list of distinct task type names. Whether each exists is the worker's check. */
  typeList(name: ConfigVariable): string[] | null {
    const value = this.raw(name);
    if (value.trim() === '') return null;
    const items = value.split(',').map((item) => item.trim());
    if (items.some((item) => !TYPE_NAME.test(item)) || new Set(items).size !== items.length) {
      this.fail(name, `must be empty (every type) or a comma list of distinct task types such as report.build,email.send (got '${value}')`);
      return null;
    }
    return items;
  }

  delayList(name: ConfigVariable): number[] {
    const value = this.raw(name);
    const items = value.split(',').map((item) => item.trim());
    const delays = items.map((item) => (/^\d+$/.test(item) ? Number(item) : Number.NaN));
    if (delays.some((d) => !Number.isSafeInteger(d) || d < 1 || d > 86_400) || delays.length > 20) {
      this.fail(name, `must be a comma list of 1 to 20 delays in whole seconds, each from 1 to 86400, e.g. 5,30,120 (got '${value}')`);
      return [5, 30, 120];
    }
    return delays;
  }

  private fail(variable: ConfigVariable, message: string): void {
    this.problems.push({ variable, message });
  }
}

/** A task type's name, as the registry accepts it (TASK_TYPE_PATTERN of libs/tasks). */
const TYPE_NAME = /^[a-z][a-z0-9_.-]{0,99}$/;

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An IP address, a CIDR range with a prefix that fits its family, or a named range. */
function isProxyEntry(entry: string): boolean {
  if (PROXY_NAMES.has(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

function isUrlOf(value: string, protocols: string[]): boolean {
  try {
    const url = new URL(value);
    return protocols.includes(url.protocol) && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Never print a password back, even in an error: everything between `//` and the last `@` goes. */
function redact(value: string): string {
  const at = value.lastIndexOf('@');
  const start = value.indexOf('//');
  if (at === -1 || start === -1 || at < start) return value;
  return `${value.slice(0, start + 2)}***${value.slice(at)}`;
}

/** The three work queues, highest priority first. */
export const TASK_QUEUES = ['tasks.high', 'tasks.medium', 'tasks.low'] as const;
export type TaskQueueName = (typeof TASK_QUEUES)[number];

/** How a worker serving several queues chooses the next one to take a message from. */
export const PRIORITY_MODES = ['strict', 'weighted'] as const;
export type PriorityMode = (typeof PRIORITY_MODES)[number];

/** WORKER_PRIORITY_WEIGHTS when unset: each queue's weight, read in WORKER_QUEUES order. */
export const DEFAULT_PRIORITY_WEIGHTS: Readonly<Record<TaskQueueName, number>> = { 'tasks.high': 8, 'tasks.medium': 3, 'tasks.low': 1 };

/**
 * A work queue a worker may name: the default group's `tasks.high|medium|low`, or a queue group's
 * `<group>.high|medium|low` (a group is 1–50 lowercase letters, digits, `_` or `-`, a letter first).
 * Whether a group exists is the registry's to say: the worker checks it at start.
 */
export const WORK_QUEUE_PATTERN = /^[a-z][a-z0-9_-]{0,49}\.(high|medium|low)$/;

const PRIORITY_SUFFIXES = ['high', 'medium', 'low'] as const;

/** 0 for a `.high` queue, 1 for `.medium`, 2 for `.low`, whatever its group; -1 for another name. */
export function queuePriorityRank(queue: string): number {
  return PRIORITY_SUFFIXES.indexOf(queue.slice(queue.lastIndexOf('.') + 1) as (typeof PRIORITY_SUFFIXES)[number]);
}

/** The default weight of a queue in weighted mode: 8, 3, 1 for its group's high, medium, low. */
export function defaultPriorityWeight(queue: string): number {
  return DEFAULT_PRIORITY_WEIGHTS[TASK_QUEUES[queuePriorityRank(queue)] ?? 'tasks.low'];
}

/** TASK_EVENTS: `on` emits a terminal event for every task type; `off` only for types that name an `output`. */
export const TASK_EVENTS_MODES = ['on', 'off'] as const;

/** WORKER_EXPRESS_SLOT: whether a strict worker keeps a slot for its top queue (see documents/architecture.md). */
export const EXPRESS_SLOT_MODES = ['on', 'off'] as const;
export type ExpressSlotMode = (typeof EXPRESS_SLOT_MODES)[number];
export type TaskEventsMode = (typeof TASK_EVENTS_MODES)[number];

export const QUEUE_TYPES = ['classic', 'quorum'] as const;
export type QueueType = (typeof QUEUE_TYPES)[number];

/**
 * What stands between the apps and PostgreSQL: `none` (a direct connection, or a pooler in
 * session mode) or `transaction` (PgBouncer or a managed pooler in transaction mode, where a
 * server connection is shared between transactions, so LISTEN and other session state do not
 * hold).
 */
export const POSTGRES_POOLERS = ['none', 'transaction'] as const;
export type PostgresPooler = (typeof POSTGRES_POOLERS)[number];

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * How log lines are written: `json`, one JSON object per line (what a log shipper reads), or
 * `pretty`, one coloured line per event for a person at a terminal. `npm start` picks `pretty`
 * for its apps when LOG_FORMAT is empty and it runs in a terminal; the apps alone write JSON.
 */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

import type { AllowedHost } from './allowed-hosts.js';

/** Where PostgreSQL is: either a URL or its parts, never both at once. */
export interface PostgresConfig {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /** `DATABASE_URL` when set; it wins over the parts above. */
  url?: string;
  /** `POSTGRES_POOLER`: `transaction` when the connection above goes through a transaction-mode pooler. */
  pooler: PostgresPooler;
}

/**
 * Who may tell the API the client's address. `none` (the default): the socket's peer is the
 * client and X-Forwarded-For is ignored. `hops`: that many proxies stand in front, and the client
 * is the entry that many hops back. `addresses`: X-Forwarded-For is followed back only through
 * peers in these addresses or CIDR ranges (or `loopback`, `linklocal`, `uniquelocal`).
 */
export type TrustedProxies = { kind: 'none' } | { kind: 'hops'; hops: number } | { kind: 'addresses'; addresses: string[] };

/** The whole environment, parsed once at start. Every variable is in `.env.example` and README's configuration table. */
export interface AppConfig {
  /** NODE_ENV is `production`: the apps warn at start about default passwords and a keyless API. */
  production: boolean;
  postgres: PostgresConfig;
  rabbitmq: {
    /** RABBITMQ_URL: one broker, or the nodes of a cluster. The apps connect to the first that answers and move on to the next when it goes. */
    urls: string[];
    queueType: QueueType;
  };
  api: {
    port: number;
    /** Largest request body accepted, in bytes. */
    bodyLimitBytes: number;
    /** Bearer keys for /api/v1; empty: no authentication. */
    keys: string[];
    /**
     * API_READ_ONLY_KEYS: bearer keys that may only read (GET and HEAD); any other method is 403.
     * With both lists empty there is no authentication.
     */
    readOnlyKeys: string[];
    /** Requests per client (IP) per window; 0: no rate limit. */
    rateLimit: { max: number; windowSeconds: number };
    /** Origins allowed by CORS; empty: CORS off. `*` allows any. */
    corsOrigins: string[];
    /** Which peers may name the client in X-Forwarded-For (TRUSTED_PROXIES); see {@link TrustedProxies}. */
    trustedProxies: TrustedProxies;
    /**
     * Group commit of `POST /tasks`: creates that arrive side by side are written by one
     * statement. `windowMs` (CREATE_BATCH_WINDOW_MS) is how long a batch that opens while another
     * is being written collects more; 0 turns batching off. `max` (CREATE_BATCH_MAX): most
     * creates in one statement.
     */
    createBatch: { windowMs: number; max: number };
  };
  health: { port: number };
  worker: {
    /** WORKER_QUEUES: `tasks.*` and queue groups' queues, each with a priority suffix. */
    queues: string[];
    /** WORKER_TASK_TYPES: the task types this worker registers; null: every type of the registry. */
    taskTypes: string[] | null;
    /** Tasks run at once; also the most messages the worker holds unsettled (see documents/architecture.md). */
    prefetch: number;
    /** Most deliveries claimed, or outcomes written, in one statement (1: one statement per task). */
    writeBatch: number;
    /**
     * WORKER_EXPRESS_SLOT: in strict mode, with several queues and a prefetch of 3 or more, one
     * slot stays subscribed to the top queue while lower work runs, so a message published to it
     * starts at once instead of waiting for a slot to free and an ask. Unused in weighted mode.
     */
    expressSlot: boolean;
    /**
     * `strict`: the highest-priority queue with a message always goes first. `weighted`: queues
     * take turns by {@link weights} (smooth weighted round robin), and a queue left waiting
     * {@link agingMs} goes next.
     */
    priority: {
      mode: PriorityMode;
      /** One positive weight per queue, in `queues` order (weighted mode only). */
      weights: number[];
      /** Weighted mode: a queue with messages left waiting this long is served next; 0: never. */
      agingMs: number;
    };
    taskTimeoutSeconds: number;
    /** How long a claim holds a task without a heartbeat; renewed every third of it while the handler runs. */
    leaseSeconds: number;
    /** Largest handler result stored, in bytes of its JSON; a larger one fails the task. */
    resultMaxBytes: number;
  };
  retry: { maxRetries: number; delaysSeconds: number[] };
  /** TASK_EVENTS: whether every task type emits terminal events (`task.<type>` unless it names an `output`), read by the API at create. */
  taskEvents: { everyType: boolean };
  /** The `http.request` task type: where it may connect and how much of an answer it reads. */
  httpTask: {
    /** `HTTP_TASK_ALLOWED_HOSTS`; empty: every call is refused. */
    allowedHosts: AllowedHost[];
    /** `HTTP_TASK_MAX_RESPONSE_BYTES`: a longer body fails the task for good. */
    maxResponseBytes: number;
  };
  outbox: {
    pollIntervalMs: number;
    batchSize: number;
    maxAttempts: number;
    retentionHours: number;
    /** `OUTBOX_LISTEN_DATABASE_URL`: where the relay LISTENs when set (a direct connection past a pooler). */
    listenUrl?: string;
  };
  /**
   * The relay's reconciler: a PENDING task, or a RETRYING one past `nextRetryAt`, whose message
   * the broker no longer holds is dispatched again once its message is this many seconds old.
   */
  reconcile: { afterSeconds: number };
  /** Days a finished task (COMPLETED, FAILED, CANCELLED) is kept with its timeline; 0: for ever. */
  retention: { taskDays: number };
  shutdownTimeoutSeconds: number;
  logLevel: LogLevel;
  logFormat: LogFormat;
}

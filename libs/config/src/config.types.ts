/** The three work queues, highest priority first. */
export const TASK_QUEUES = ['tasks.high', 'tasks.medium', 'tasks.low'] as const;
export type TaskQueueName = (typeof TASK_QUEUES)[number];

export const QUEUE_TYPES = ['classic', 'quorum'] as const;
export type QueueType = (typeof QUEUE_TYPES)[number];

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where PostgreSQL is: either a URL or its parts, never both at once. */
export interface PostgresConfig {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /** `DATABASE_URL` when set; it wins over the parts above. */
  url?: string;
}

/** The whole environment, parsed once at start. See contract §5 and `.env.example`. */
export interface AppConfig {
  postgres: PostgresConfig;
  rabbitmq: { url: string; queueType: QueueType };
  api: {
    port: number;
    /** Largest request body accepted, in bytes. */
    bodyLimitBytes: number;
    /** Bearer keys for /api/v1; empty: no authentication. */
    keys: string[];
    /** Requests per client (IP) per window; 0: no rate limit. */
    rateLimit: { max: number; windowSeconds: number };
    /** Origins allowed by CORS; empty: CORS off. `*` allows any. */
    corsOrigins: string[];
  };
  health: { port: number };
  worker: {
    queues: TaskQueueName[];
    prefetch: number;
    taskTimeoutSeconds: number;
    /** How long a claim holds a task without a heartbeat; renewed every third of it while the handler runs. */
    leaseSeconds: number;
    /** Largest handler result stored, in bytes of its JSON; a larger one fails the task. */
    resultMaxBytes: number;
  };
  retry: { maxRetries: number; delaysSeconds: number[] };
  outbox: { pollIntervalMs: number; batchSize: number; maxAttempts: number; retentionHours: number };
  shutdownTimeoutSeconds: number;
  logLevel: LogLevel;
}

import { Inject, Injectable, Optional } from '@nestjs/common';
import { Counter, Gauge, Histogram, type Metric, Registry, collectDefaultMetrics } from 'prom-client';

/** Which app's metrics a process serves; each app's `/metrics` carries its own families and Node's. */
export type MetricsApp = 'api' | 'relay' | 'worker';
/** The injection token of the {@link MetricsApp}; without it (a bench, a script) every family is served. */
export const METRICS_APP = Symbol('METRICS_APP');

/**
 * What a delivery came to in the worker: the `outcome` label of `worker_task_outcomes_total`.
 * The first four are statuses written to the task; the others wrote no status of their own.
 */
export const WORKER_OUTCOMES = [
  /** The handler returned and its result was stored. */
  'COMPLETED',
  /** The attempt failed with attempts left: a retry message went to the delay queue. */
  'RETRYING',
  /** Failed for good (last attempt, permanent error, time-out on the last attempt...): its copy for tasks.dlq goes out through the outbox. */
  'FAILED',
  /** A user cancelled the task before or while it ran. */
  'CANCELLED',
  /** The attempt ran, but another worker had taken the task over before its outcome was written. */
  'SUPERSEDED',
  /** Not the delivery the task waits for (a duplicate, a late copy, a finished task) or a live lease holds it: acknowledged, not run. */
  'SKIPPED',
  /** Its channel closed while it waited in the worker's buffer: the broker has requeued it already. */
  'STALE_DELIVERY',
  /** The worker lost its lease while the handler ran: handler stopped, nothing written, message handed back. */
  'LEASE_LOST',
  /** Handed back to the broker: Postgres could not be reached for the claim or the outcome, or the worker is shutting down. */
  'HANDED_BACK',
  /** Not a task message: moved to tasks.dlq as it was. */
  'POISON',
] as const;
export type WorkerOutcome = (typeof WORKER_OUTCOMES)[number];

/** Label value for a task type or priority a metric cannot vouch for (a message not ours, a type no handler knows). */
export const UNKNOWN_LABEL = 'unknown';

/** Histogram buckets, in seconds. */
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const CONFIRM_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const RUN_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800];
const WAIT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

/**
 * Prometheus metrics of this process, served at `GET /metrics`. Each app serves the families of
 * its own events (a labelled series appears once it has moved) and Node's process metrics; the
 * gauges read at scrape time (queue depths, the outbox backlog) are the relay's. Labels are bounded:
 * route patterns, task types of the registry, priorities, outcomes; never a task id.
 * documents/observability.md lists them with what moves each.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  // Each family is created unregistered; the constructor registers those of this app.
  // --- api ---

  readonly httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests answered by the API, by method, route pattern (unmatched for none) and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: HTTP_BUCKETS,
    registers: [],
  });

  readonly tasksCreated = new Counter({
    name: 'tasks_created_total',
    help: 'Tasks accepted by the API, by type and priority',
    labelNames: ['type', 'priority'] as const,
    registers: [],
  });

  // --- relay ---

  readonly outboxBatches = new Counter({
    name: 'outbox_batches_total',
    help: 'Outbox batches the relay claimed and published (a claim that found no row is not counted)',
    registers: [],
  });

  readonly outboxPublished = new Counter({
    name: 'outbox_rows_published_total',
    help: 'Outbox rows the relay published and the broker confirmed, by kind (dispatch, retry, dead-letter, control, redispatch)',
    labelNames: ['kind'] as const,
    registers: [],
  });

  readonly outboxConfirmDuration = new Histogram({
    name: 'outbox_publish_confirm_duration_seconds',
    help: 'Time from handing an outbox row to the broker to its publisher confirm, per row confirmed',
    buckets: CONFIRM_BUCKETS,
    registers: [],
  });

  readonly outboxPublishFailures = new Counter({
    name: 'outbox_publish_failures_total',
    help: 'Outbox publishes without a good confirm (nacked, returned as unroutable, timed out); each is retried later with a back-off',
    registers: [],
  });

  readonly relayWakeups = new Counter({
    name: 'outbox_relay_wakeups_total',
    help:
      'Wake-ups of the relay, by cause: notify (NOTIFY outbox_pending), poll (OUTBOX_POLL_INTERVAL), broker (reconnected), ' +
      'redispatch (sweeper or reconciler queued rows), start',
    labelNames: ['cause'] as const,
    registers: [],
  });

  readonly tasksRedispatched = new Counter({
    name: 'tasks_redispatched_total',
    help: 'Tasks the relay dispatched again, by reason: reconciler (its message was no longer in its queue), lease-expired (its worker is gone)',
    labelNames: ['reason'] as const,
    registers: [],
  });

  // --- worker ---

  readonly taskOutcomes = new Counter({
    name: 'worker_task_outcomes_total',
    help: `Deliveries the worker handled, by task type, priority and outcome: ${WORKER_OUTCOMES.join(', ')}`,
    labelNames: ['type', 'priority', 'outcome'] as const,
    registers: [],
  });

  readonly taskRunDuration = new Histogram({
    name: 'worker_task_run_duration_seconds',
    help: 'Time a handler ran, one sample per attempt, by task type and priority',
    labelNames: ['type', 'priority'] as const,
    buckets: RUN_BUCKETS,
    registers: [],
  });

  readonly taskWaitDuration = new Histogram({
    name: 'worker_task_wait_duration_seconds',
    help: 'Time from a task being created (or its runAt, when later) to its first attempt starting, by task type and priority',
    labelNames: ['type', 'priority'] as const,
    buckets: WAIT_BUCKETS,
    registers: [],
  });

  readonly tasksInFlight = new Gauge({
    name: 'worker_tasks_in_flight',
    help: 'Handlers running in this worker now',
    registers: [],
  });

  readonly taskRetries = new Counter({
    name: 'worker_task_retries_total',
    help: 'Failed attempts the worker scheduled a retry for (RETRYING written), by task type and priority',
    labelNames: ['type', 'priority'] as const,
    registers: [],
  });

  readonly tasksDeadLettered = new Counter({
    name: 'worker_tasks_dead_lettered_total',
    help:
      'Messages the worker sent to tasks.dlq (the copy of a task written FAILED, through the outbox; an unreadable message), ' +
      'by task type, priority and reason (timeout, result-not-storable, worker-lost, permanent-error, max-attempts-exhausted, unreadable-message)',
    labelNames: ['type', 'priority', 'reason'] as const,
    registers: [],
  });

  readonly taskHookFailures = new Counter({
    name: 'task_hook_failures_total',
    help: "A handler's onSuccess or onError hook that threw, rejected or ran past its type's timeoutSeconds, by type and hook (the task's outcome stands)",
    labelNames: ['type', 'hook'] as const,
    registers: [],
  });

  constructor(@Optional() @Inject(METRICS_APP) app?: MetricsApp) {
    const families: Record<MetricsApp, Metric[]> = {
      api: [this.httpRequestDuration, this.tasksCreated],
      relay: [this.outboxBatches, this.outboxPublished, this.outboxConfirmDuration, this.outboxPublishFailures, this.relayWakeups, this.tasksRedispatched],
      worker: [
        this.taskOutcomes,
        this.taskRunDuration,
        this.taskWaitDuration,
        this.tasksInFlight,
        this.taskRetries,
        this.tasksDeadLettered,
        this.taskHookFailures,
      ],
    };
    for (const metric of app ? families[app] : Object.values(families).flat()) this.registry.registerMetric(metric);
    collectDefaultMetrics({ register: this.registry });
  }

  async render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

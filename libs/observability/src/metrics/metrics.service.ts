import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics of this process, served at `GET /metrics`. Every handler outcome is
 * counted by task type and status, so an operator sees what happens without reading logs.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly tasksCreated = new Counter({
    name: 'tasks_created_total',
    help: 'Tasks accepted by the API, by type and priority',
    labelNames: ['type', 'priority'] as const,
    registers: [this.registry],
  });

  readonly taskOutcomes = new Counter({
    name: 'task_outcomes_total',
    help:
      'Deliveries in the worker, by type and outcome: COMPLETED, RETRYING, FAILED, CANCELLED; ' +
      'SUPERSEDED (taken over before its write); SKIPPED (not the delivery the task waits for, or its lease is held); ' +
      'STALE_DELIVERY (its channel closed before it started); LEASE_LOST (handler stopped, nothing written); POISON',
    labelNames: ['type', 'status'] as const,
    registers: [this.registry],
  });

  readonly taskHookFailures = new Counter({
    name: 'task_hook_failures_total',
    help: "A handler's onSuccess or onError hook that threw, rejected or ran past its type's timeoutSeconds, by type and hook (the task's outcome stands)",
    labelNames: ['type', 'hook'] as const,
    registers: [this.registry],
  });

  readonly taskDuration = new Histogram({
    name: 'task_duration_seconds',
    help: 'Time a handler ran, by type',
    labelNames: ['type'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  readonly tasksInFlight = new Gauge({
    name: 'worker_tasks_in_flight',
    help: 'Handlers running in this worker now',
    registers: [this.registry],
  });

  readonly outboxPublished = new Counter({
    name: 'outbox_published_total',
    help: 'Outbox rows the relay published and the broker confirmed, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly outboxPublishFailures = new Counter({
    name: 'outbox_publish_failures_total',
    help: 'Publishes that failed (nacked, returned, timed out) and were put off',
    registers: [this.registry],
  });

  readonly tasksRedispatched = new Counter({
    name: 'tasks_redispatched_total',
    help: 'Tasks the relay dispatched again, by reason: reconciler (its message was no longer in its queue), lease-expired (its worker is gone)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  async render(): Promise<string> {
    return this.registry.metrics();
  }
}

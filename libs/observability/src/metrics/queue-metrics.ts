import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { TASK_QUEUES } from '#config';
import { DEAD_LETTER_QUEUE, QUEUE_GROUPS, type QueueDepth, QueueInspector } from '#messaging';
import { groupQueues } from '#tasks/core';
import { MetricsService } from './metrics.service.js';

/** The queues whose depth and consumers a scrape reports. */
export const MEASURED_QUEUES: readonly string[] = [...TASK_QUEUES, DEAD_LETTER_QUEUE];

/** {@link MEASURED_QUEUES} and the work queues of each queue group the task types declare. */
export function measuredQueues(queueGroups: readonly string[]): string[] {
  return [...MEASURED_QUEUES, ...queueGroups.flatMap((group) => groupQueues(group))];
}
/** How long a scrape waits for the broker before it reports no depth at all. */
export const QUEUE_METRICS_TIMEOUT_MS = 500;
/** How long one answer of the broker serves further scrapes, so a flood of them asks it once a second. */
export const QUEUE_METRICS_CACHE_MS = 1000;

/**
 * `tasks_queue_messages_ready{queue}` and `tasks_queue_consumers{queue}`, read from the broker
 * when `/metrics` is scraped (passive declares on the inspector's channel), for the priority
 * queues, `tasks.dlq` and the queues of every queue group. A queue the broker did not answer for has no sample in that scrape:
 * an absent series, never a failed scrape nor a stale number that looks current.
 */
@Injectable()
export class QueueMetrics implements OnModuleInit {
  private last?: { at: number; depths: Promise<QueueDepth[]> };
  private readonly queues: string[];

  constructor(
    private readonly metrics: MetricsService,
    private readonly inspector: QueueInspector,
    @Inject(QUEUE_GROUPS) queueGroups: readonly string[],
  ) {
    this.queues = measuredQueues(queueGroups);
  }

  onModuleInit(): void {
    const depths = () => this.depths();
    new Gauge({
      name: 'tasks_queue_messages_ready',
      help: 'Messages ready for delivery in a task queue (tasks.*, tasks.dlq, the queues of queue groups), read from the broker at scrape time',
      labelNames: ['queue'] as const,
      registers: [this.metrics.registry],
      async collect() {
        this.reset();
        for (const depth of await depths()) if (depth.messages !== null) this.set({ queue: depth.queue }, depth.messages);
      },
    });
    new Gauge({
      name: 'tasks_queue_consumers',
      help: 'Consumers of a task queue (tasks.*, tasks.dlq, the queues of queue groups), read from the broker at scrape time',
      labelNames: ['queue'] as const,
      registers: [this.metrics.registry],
      async collect() {
        this.reset();
        for (const depth of await depths()) if (depth.consumers !== null) this.set({ queue: depth.queue }, depth.consumers);
      },
    });
  }

  /** One broker round trip shared by both gauges and by every scrape within {@link QUEUE_METRICS_CACHE_MS}. */
  private depths(): Promise<QueueDepth[]> {
    const now = Date.now();
    if (!this.last || now - this.last.at >= QUEUE_METRICS_CACHE_MS) {
      this.last = { at: now, depths: this.inspector.depths(this.queues, QUEUE_METRICS_TIMEOUT_MS) };
    }
    return this.last.depths;
  }
}

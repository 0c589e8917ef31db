import type { QueueType } from '#config';
import { groupQueues, TASK_EVENTS_EXCHANGE } from '#tasks/core';

/** The exchange every task message goes through; each priority queue is bound by its own name. */
export const TASKS_EXCHANGE = 'tasks';
/** Headers exchange in front of the delay queues: the {@link RETRY_DELAY_HEADER} header picks the step. */
export const RETRY_EXCHANGE = 'tasks.retry';
/** Fanout exchange in front of `tasks.dlq`. Also the dead-letter exchange of the work queues. */
export const DEAD_LETTER_EXCHANGE = 'tasks.dlx';
export const DEAD_LETTER_QUEUE = 'tasks.dlq';
/**
 * The header that picks a step of the ladder, e.g. `retry-delay: 30s`. Its name must not start
 * with `x-`: a headers exchange ignores such headers when it matches, so a binding on one
 * would match every message and each retry would land in every delay queue.
 */
export const RETRY_DELAY_HEADER = 'retry-delay';
/**
 * The header name earlier versions bound the delay queues with. Those bindings match every
 * message (see {@link RETRY_DELAY_HEADER}); declaring the topology removes them.
 */
export const LEGACY_RETRY_DELAY_HEADER = 'x-retry-delay';
/** Fanout exchange for control messages (cancel a running task) to every worker's own queue. */
export const CONTROL_EXCHANGE = 'tasks.control';
/** On RabbitMQ 4 a quorum queue gets a default of 20; we set it on both majors so they behave alike. */
export const QUORUM_DELIVERY_LIMIT = 20;

export interface ExchangeSpec {
  name: string;
  type: 'direct' | 'headers' | 'fanout' | 'topic';
}

export interface BindingSpec {
  exchange: string;
  routingKey: string;
  arguments?: Record<string, unknown>;
}

export interface QueueSpec {
  name: string;
  arguments: Record<string, unknown>;
  bindings: BindingSpec[];
  /** Bindings an earlier version made that must not stay: declaring removes them first. */
  obsoleteBindings?: BindingSpec[];
}

export interface Topology {
  exchanges: ExchangeSpec[];
  queues: QueueSpec[];
}

/** Name of the delay queue for one step of the ladder, e.g. `tasks.retry.30s`. */
export function retryQueueName(delaySeconds: number): string {
  return `${RETRY_EXCHANGE}.${delaySeconds}s`;
}

/**
 * The whole broker topology (documents/architecture.md, "Messaging topology"), in one place. Every app declares it with the
 * same arguments, so declaring is idempotent whichever app starts first.
 *
 * A delay queue has no dead-letter routing key: an expired message keeps the routing key it
 * was published with (its priority queue's name) and so goes back to the queue it came from.
 * It is bound to the headers exchange on {@link RETRY_DELAY_HEADER} alone, so a retry lands in
 * the queue of its own step and in no other.
 *
 * `queueGroups` are the groups the task types declare (`reports` → `reports.high`,
 * `reports.medium`, `reports.low`): work queues like `tasks.*`, bound to `tasks` by their own
 * names, with the same dead-letter exchange. They share the delay queues: a retry carries its
 * work queue's name as routing key, so it comes back to its group's queue of its priority.
 * Every app builds the topology from the same registry, so they declare the same queues.
 */
export function buildTopology(options: { queueType: QueueType; retryDelaysSeconds: readonly number[]; queueGroups?: readonly string[] }): Topology {
  const typeArgs = (extra: Record<string, unknown> = {}) => ({
    'x-queue-type': options.queueType,
    ...(options.queueType === 'quorum' ? { 'x-delivery-limit': QUORUM_DELIVERY_LIMIT } : {}),
    ...extra,
  });
  const workQueueNames = [null, ...new Set(options.queueGroups ?? [])].flatMap((group) => groupQueues(group));
  const workQueues: QueueSpec[] = workQueueNames.map((name) => ({
    name,
    arguments: typeArgs({ 'x-dead-letter-exchange': DEAD_LETTER_EXCHANGE }),
    bindings: [{ exchange: TASKS_EXCHANGE, routingKey: name }],
  }));
  const delays = [...new Set(options.retryDelaysSeconds)];
  const retryQueues: QueueSpec[] = delays.map((delay) => ({
    name: retryQueueName(delay),
    arguments: typeArgs({ 'x-message-ttl': delay * 1000, 'x-dead-letter-exchange': TASKS_EXCHANGE }),
    bindings: [{ exchange: RETRY_EXCHANGE, routingKey: '', arguments: { 'x-match': 'all', [RETRY_DELAY_HEADER]: `${delay}s` } }],
    obsoleteBindings: [{ exchange: RETRY_EXCHANGE, routingKey: '', arguments: { 'x-match': 'all', [LEGACY_RETRY_DELAY_HEADER]: `${delay}s` } }],
  }));
  return {
    exchanges: [
      { name: TASKS_EXCHANGE, type: 'direct' },
      { name: RETRY_EXCHANGE, type: 'headers' },
      { name: DEAD_LETTER_EXCHANGE, type: 'fanout' },
      { name: CONTROL_EXCHANGE, type: 'fanout' },
      { name: TASK_EVENTS_EXCHANGE, type: 'topic' },
    ],
    queues: [...workQueues, ...retryQueues, { name: DEAD_LETTER_QUEUE, arguments: typeArgs(), bindings: [{ exchange: DEAD_LETTER_EXCHANGE, routingKey: '' }] }],
  };
}

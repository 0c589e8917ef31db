import { retryMessage } from './task-message.js';
import { TaskPriority } from '#tasks';
import { buildTopology, QUORUM_DELIVERY_LIMIT, RETRY_EXCHANGE, retryQueueName, type QueueSpec, type Topology } from './topology.js';

const classicOptions = { queueType: 'classic' as const, retryDelaysSeconds: [5, 30, 120] };
const quorumOptions = { queueType: 'quorum' as const, retryDelaysSeconds: [5, 30, 120] };

/**
 * RabbitMQ's headers exchange as its documentation states it: `x-match` is `all` or `any`, and
 * arguments whose names start with `x-` take no part in the match. A binding left with
 * nothing to compare matches every message.
 */
function headersExchangeMatches(bindingArguments: Record<string, unknown>, headers: Record<string, unknown>): boolean {
  const compared = Object.entries(bindingArguments).filter(([name]) => !name.startsWith('x-'));
  const equal = ([name, value]: [string, unknown]) => name in headers && headers[name] === value;
  return bindingArguments['x-match'] === 'any' ? compared.some(equal) : compared.every(equal);
}

/** The queues a message published to `exchange` reaches through the headers bindings of `topology`. */
function delayQueuesReached(topology: Topology, exchange: string, headers: Record<string, unknown>): string[] {
  return topology.queues
    .filter((q) => q.bindings.some((b) => b.exchange === exchange && headersExchangeMatches(b.arguments ?? {}, headers)))
    .map((q) => q.name);
}

function queueOf(topology: Topology, name: string): QueueSpec {
  const queue = topology.queues.find((q) => q.name === name);
  if (!queue) throw new Error(`the topology has no queue ${name}`);
  return queue;
}

describe(buildTopology.name, () => {
  let sut: Topology;

  beforeEach(() => {
    sut = buildTopology(classicOptions);
  });

  it('declares the direct tasks exchange, the headers retry exchange, the fanout dead-letter and control exchanges and the topic events exchange', () => {
    expect(sut.exchanges).toEqual([
      { name: 'tasks', type: 'direct' },
      { name: 'tasks.retry', type: 'headers' },
      { name: 'tasks.dlx', type: 'fanout' },
      { name: 'tasks.control', type: 'fanout' },
      { name: 'tasks.events', type: 'topic' },
    ]);
  });

  describe('with queue groups', () => {
    beforeEach(() => {
      sut = buildTopology({ ...classicOptions, queueGroups: ['reports', 'bulk'] });
    });

    it("declares each group's three work queues after tasks.*, once each", () => {
      sut = buildTopology({ ...classicOptions, queueGroups: ['reports', 'bulk', 'reports'] });

      expect(sut.queues.map((q) => q.name).slice(0, 9)).toEqual([
        'tasks.high',
        'tasks.medium',
        'tasks.low',
        'reports.high',
        'reports.medium',
        'reports.low',
        'bulk.high',
        'bulk.medium',
        'bulk.low',
      ]);
    });

    it.each(['reports.high', 'reports.medium', 'bulk.low'])('binds %s to tasks by its own name and dead-letters it to tasks.dlx, as tasks.*', (name) => {
      expect(queueOf(sut, name)).toEqual({
        name,
        arguments: { 'x-queue-type': 'classic', 'x-dead-letter-exchange': 'tasks.dlx' },
        bindings: [{ exchange: 'tasks', routingKey: name }],
      });
    });

    it("sends a retry of a group's task through the shared delay queue back to its group's queue of its priority", () => {
      const task = {
        taskId: '6f1d3a52-8a51-4f7e-9a55-2c0b7b6c0d01',
        type: 'report.build',
        priority: TaskPriority.MEDIUM,
        correlationId: 'c',
        queueGroup: 'reports',
      };
      const message = retryMessage(task, 2, 30);
      const delayQueue = queueOf(sut, delayQueuesReached(sut, message.exchange, message.headers)[0]);
      // The delay queue dead-letters to its x-dead-letter-exchange with the message's own routing key.
      const back = sut.queues.filter((q) =>
        q.bindings.some((b) => b.exchange === delayQueue.arguments['x-dead-letter-exchange'] && b.routingKey === message.routingKey),
      );

      expect(back.map((q) => q.name)).toEqual(['reports.medium']);
    });
  });

  it('declares the work queues, one delay queue per step, and the dead-letter queue', () => {
    expect(sut.queues.map((q) => q.name)).toEqual([
      'tasks.high',
      'tasks.medium',
      'tasks.low',
      'tasks.retry.5s',
      'tasks.retry.30s',
      'tasks.retry.120s',
      'tasks.dlq',
    ]);
  });

  it.each(['tasks.high', 'tasks.medium', 'tasks.low'])('binds %s to tasks by its own name and dead-letters it to tasks.dlx', (name) => {
    expect(queueOf(sut, name)).toEqual({
      name,
      arguments: { 'x-queue-type': 'classic', 'x-dead-letter-exchange': 'tasks.dlx' },
      bindings: [{ exchange: 'tasks', routingKey: name }],
    });
  });

  it.each([5, 30, 120])('gives the %is delay queue its TTL and dead-letters it back to tasks', (delay) => {
    expect(queueOf(sut, `tasks.retry.${delay}s`)).toEqual({
      name: `tasks.retry.${delay}s`,
      arguments: { 'x-queue-type': 'classic', 'x-message-ttl': delay * 1000, 'x-dead-letter-exchange': 'tasks' },
      bindings: [{ exchange: 'tasks.retry', routingKey: '', arguments: { 'x-match': 'all', 'retry-delay': `${delay}s` } }],
      obsoleteBindings: [{ exchange: 'tasks.retry', routingKey: '', arguments: { 'x-match': 'all', 'x-retry-delay': `${delay}s` } }],
    });
  });

  it.each([5, 30, 120])('routes a retry of the %is step to that delay queue and to no other', (delay) => {
    const message = retryMessage({ taskId: '6f1d3a52-8a51-4f7e-9a55-2c0b7b6c0d01', type: 'noop', priority: TaskPriority.LOW, correlationId: 'c' }, 2, delay);

    expect(delayQueuesReached(sut, message.exchange, message.headers)).toEqual([`tasks.retry.${delay}s`]);
  });

  it('binds the delay queues on no header the broker ignores, so no binding matches every message', () => {
    for (const queue of sut.queues) {
      for (const binding of queue.bindings.filter((b) => b.exchange === RETRY_EXCHANGE)) {
        expect(Object.keys(binding.arguments ?? {}).filter((name) => name !== 'x-match' && !name.startsWith('x-'))).not.toHaveLength(0);
        expect(delayQueuesReached({ exchanges: sut.exchanges, queues: [queue] }, RETRY_EXCHANGE, {})).toEqual([]);
      }
    }
  });

  it('removes the old delay queue bindings, which match every message', () => {
    for (const delay of classicOptions.retryDelaysSeconds) {
      const old = queueOf(sut, retryQueueName(delay)).obsoleteBindings ?? [];
      expect(old).toHaveLength(1);
      expect(headersExchangeMatches(old[0].arguments ?? {}, {})).toBe(true);
    }
  });

  it('sets no dead-letter routing key on a delay queue, so an expired message keeps its priority queue as routing key', () => {
    for (const delay of classicOptions.retryDelaysSeconds) {
      expect(queueOf(sut, retryQueueName(delay)).arguments).not.toHaveProperty('x-dead-letter-routing-key');
    }
  });

  it('declares one delay queue per distinct delay', () => {
    const topology = buildTopology({ queueType: 'classic', retryDelaysSeconds: [5, 5, 30, 5] });

    expect(topology.queues.filter((q) => q.name.startsWith('tasks.retry.')).map((q) => q.name)).toEqual(['tasks.retry.5s', 'tasks.retry.30s']);
  });

  it('binds tasks.dlq to tasks.dlx', () => {
    expect(queueOf(sut, 'tasks.dlq')).toEqual({
      name: 'tasks.dlq',
      arguments: { 'x-queue-type': 'classic' },
      bindings: [{ exchange: 'tasks.dlx', routingKey: '' }],
    });
  });

  it('sets no delivery limit on classic queues', () => {
    for (const queue of sut.queues) expect(queue.arguments).not.toHaveProperty('x-delivery-limit');
  });

  it('makes every queue a quorum queue with a delivery limit when the type is quorum', () => {
    const topology = buildTopology(quorumOptions);

    expect(topology.queues).toHaveLength(7);
    for (const queue of topology.queues) {
      expect(queue.arguments).toMatchObject({ 'x-queue-type': 'quorum', 'x-delivery-limit': QUORUM_DELIVERY_LIMIT });
    }
    expect(QUORUM_DELIVERY_LIMIT).toBe(20);
  });

  it('keeps the other arguments of a quorum queue', () => {
    const topology = buildTopology(quorumOptions);

    expect(queueOf(topology, 'tasks.retry.30s').arguments).toEqual({
      'x-queue-type': 'quorum',
      'x-delivery-limit': 20,
      'x-message-ttl': 30_000,
      'x-dead-letter-exchange': 'tasks',
    });
  });

  it('builds the same topology from the same options, so every app declares it alike', () => {
    expect(buildTopology(classicOptions)).toEqual(sut);
  });
});

describe(retryQueueName.name, () => {
  it('names the delay queue of a step by its seconds', () => {
    expect(retryQueueName(30)).toBe('tasks.retry.30s');
  });
});

import { TaskPriority } from '#tasks';
import {
  ATTEMPT_HEADER,
  deadLetterMessage,
  DEAD_LETTER_HEADERS,
  dispatchMessage,
  parseTaskMessage,
  queueOfPriority,
  retryMessage,
  type TaskMessage,
} from './task-message.js';
import { buildTopology } from './topology.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const mediumTask = {
  taskId: '9c5b94b1-35ad-49bb-b118-8e8fc24abf80',
  type: 'sleep',
  priority: TaskPriority.MEDIUM,
  correlationId: 'corr-123',
};

const goodBody: TaskMessage = { ...mediumTask, attempt: 2 };

const bodyOf = (value: unknown) => Buffer.from(JSON.stringify(value));

describe(queueOfPriority.name, () => {
  it.each([
    [TaskPriority.HIGH, 'tasks.high'],
    [TaskPriority.MEDIUM, 'tasks.medium'],
    [TaskPriority.LOW, 'tasks.low'],
  ])('sends %s to %s', (priority, queue) => {
    expect(queueOfPriority(priority)).toBe(queue);
  });
});

describe(dispatchMessage.name, () => {
  it.each([
    [TaskPriority.HIGH, 'tasks.high'],
    [TaskPriority.MEDIUM, 'tasks.medium'],
    [TaskPriority.LOW, 'tasks.low'],
  ])('routes a %s task through tasks to %s', (priority, queue) => {
    const sut = dispatchMessage({ ...mediumTask, priority });

    expect(sut).toMatchObject({ exchange: 'tasks', routingKey: queue });
  });

  it('carries attempt 1 in the body and in x-task-attempt by default', () => {
    const sut = dispatchMessage(mediumTask);

    expect(sut.headers).toEqual({ 'x-task-attempt': 1 });
    expect(sut.body).toEqual({ ...mediumTask, attempt: 1 });
    expect(sut.correlationId).toBe('corr-123');
  });

  it('carries the given attempt', () => {
    const sut = dispatchMessage(mediumTask, 3);

    expect(sut.headers[ATTEMPT_HEADER]).toBe(3);
    expect(sut.body.attempt).toBe(3);
  });

  it('gives every call a fresh messageId', () => {
    const first = dispatchMessage(mediumTask);
    const second = dispatchMessage(mediumTask);

    expect(first.messageId).toMatch(UUID);
    expect(second.messageId).toMatch(UUID);
    expect(second.messageId).not.toBe(first.messageId);
  });

  it('names the task in the body and nothing more', () => {
    const sut = dispatchMessage({ ...mediumTask, payload: { secret: 1 } } as typeof mediumTask);

    expect(Object.keys(sut.body).sort()).toEqual(['attempt', 'correlationId', 'priority', 'taskId', 'type']);
  });
});

describe(retryMessage.name, () => {
  it('goes to tasks.retry with retry-delay, keeping the priority queue as routing key', () => {
    const sut = retryMessage(mediumTask, 3, 30);

    expect(sut).toMatchObject({
      exchange: 'tasks.retry',
      routingKey: 'tasks.medium',
      headers: { 'x-task-attempt': 3, 'retry-delay': '30s' },
      body: { ...mediumTask, attempt: 3 },
    });
    expect(sut.messageId).toMatch(UUID);
  });

  it.each([5, 30, 120])('matches the binding of the %is delay queue', (delay) => {
    const queue = buildTopology({ queueType: 'classic', retryDelaysSeconds: [5, 30, 120] }).queues.find((q) => q.name === `tasks.retry.${delay}s`);
    const sut = retryMessage(mediumTask, 2, delay);

    expect(queue?.bindings[0]).toMatchObject({ exchange: sut.exchange, arguments: { 'retry-delay': sut.headers['retry-delay'] } });
  });
});

describe(deadLetterMessage.name, () => {
  const failedAt = new Date('2025-03-04T05:06:07.000Z');

  it('goes to tasks.dlx with headers saying why, from which queue, after how many attempts and when', () => {
    const sut = deadLetterMessage({ ...mediumTask, priority: TaskPriority.LOW }, { attempts: 4, reason: 'max-attempts-exhausted', error: 'boom', failedAt });

    expect(sut).toMatchObject({ exchange: 'tasks.dlx', routingKey: '', body: { attempt: 4, priority: TaskPriority.LOW } });
    expect(sut.headers).toEqual({
      [ATTEMPT_HEADER]: 4,
      [DEAD_LETTER_HEADERS.reason]: 'max-attempts-exhausted',
      [DEAD_LETTER_HEADERS.originalQueue]: 'tasks.low',
      [DEAD_LETTER_HEADERS.attempts]: 4,
      [DEAD_LETTER_HEADERS.failedAt]: '2025-03-04T05:06:07.000Z',
      [DEAD_LETTER_HEADERS.error]: 'boom',
    });
  });

  it('names the headers x-task-dead-reason, x-task-original-queue, x-task-attempts and x-task-failed-at', () => {
    expect(DEAD_LETTER_HEADERS).toMatchObject({
      reason: 'x-task-dead-reason',
      originalQueue: 'x-task-original-queue',
      attempts: 'x-task-attempts',
      failedAt: 'x-task-failed-at',
    });
  });

  it('cuts a long error at 1000 characters', () => {
    const sut = deadLetterMessage(mediumTask, { attempts: 1, reason: 'permanent-error', error: 'x'.repeat(5000), failedAt });

    expect(sut.headers[DEAD_LETTER_HEADERS.error]).toBe('x'.repeat(1000));
  });
});

describe(parseTaskMessage.name, () => {
  it('reads a good body', () => {
    expect(parseTaskMessage(bodyOf(goodBody))).toEqual(goodBody);
  });

  it('reads back what dispatchMessage wrote', () => {
    const sent = dispatchMessage(mediumTask, 2);

    expect(parseTaskMessage(bodyOf(sent.body))).toEqual(sent.body);
  });

  it('reads a missing correlationId as empty', () => {
    const { correlationId: _, ...withoutCorrelation } = goodBody;

    expect(parseTaskMessage(bodyOf(withoutCorrelation))).toEqual({ ...goodBody, correlationId: '' });
  });

  it.each([
    ['non-JSON', Buffer.from('{not json'), 'body is not JSON'],
    ['null', bodyOf(null), 'body is not a JSON object'],
    ['a number', bodyOf(42), 'body is not a JSON object'],
    ['a missing taskId', bodyOf({ ...goodBody, taskId: undefined }), 'taskId is missing or not a UUID'],
    ['a taskId that is not a UUID', bodyOf({ ...goodBody, taskId: 'task-1' }), 'taskId is missing or not a UUID'],
    ['a taskId of 36 dashes', bodyOf({ ...goodBody, taskId: '-'.repeat(36) }), 'taskId is missing or not a UUID'],
    ['a taskId of 36 letters', bodyOf({ ...goodBody, taskId: 'a'.repeat(36) }), 'taskId is missing or not a UUID'],
    ['a missing type', bodyOf({ ...goodBody, type: undefined }), 'type is missing'],
    ['an empty type', bodyOf({ ...goodBody, type: '' }), 'type is missing'],
    ['a bad priority', bodyOf({ ...goodBody, priority: 'URGENT' }), 'priority is missing or unknown'],
    ['a lowercase priority', bodyOf({ ...goodBody, priority: 'high' }), 'priority is missing or unknown'],
    ['attempt 0', bodyOf({ ...goodBody, attempt: 0 }), 'attempt is missing or not a positive integer'],
    ['attempt 1.5', bodyOf({ ...goodBody, attempt: 1.5 }), 'attempt is missing or not a positive integer'],
    ['attempt "2"', bodyOf({ ...goodBody, attempt: '2' }), 'attempt is missing or not a positive integer'],
  ])('returns a reason for %s', (_case, content, reason) => {
    expect(parseTaskMessage(content)).toBe(reason);
  });
});

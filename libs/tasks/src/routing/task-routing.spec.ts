import { TaskPriority } from '../status/task-status.js';
import { defaultEventRoutingKey, EVENT_ROUTING_KEY_PATTERN, groupQueues, QUEUE_GROUP_PATTERN, taskRouting, workQueueName } from './task-routing.js';

describe(taskRouting.name, () => {
  it.each([
    [{ type: 'noop' }, false, { queueGroup: null, eventRoutingKey: null }],
    [{ type: 'noop' }, true, { queueGroup: null, eventRoutingKey: 'task.noop' }],
    [{ type: 'invoice.charge', output: 'billing.results' }, false, { queueGroup: null, eventRoutingKey: 'billing.results' }],
    [{ type: 'invoice.charge', output: 'billing.results' }, true, { queueGroup: null, eventRoutingKey: 'billing.results' }],
    [{ type: 'report.build', queueGroup: 'reports' }, false, { queueGroup: 'reports', eventRoutingKey: null }],
    [{ type: 'report.build', queueGroup: 'reports', output: 'reports.done' }, true, { queueGroup: 'reports', eventRoutingKey: 'reports.done' }],
  ])('routes %j with TASK_EVENTS everyType=%s to %j', (options, everyType, expected) => {
    expect(taskRouting(options, everyType)).toEqual(expected);
  });

  it('names the default event routing key task.<type>', () => {
    expect(defaultEventRoutingKey('http.request')).toBe('task.http.request');
  });
});

describe(workQueueName.name, () => {
  it.each([
    [null, TaskPriority.HIGH, 'tasks.high'],
    [undefined, TaskPriority.LOW, 'tasks.low'],
    ['reports', TaskPriority.MEDIUM, 'reports.medium'],
  ])('names the queue of group %j and priority %s %s', (group, priority, expected) => {
    expect(workQueueName(group, priority)).toBe(expected);
  });

  it("lists a group's queues highest first", () => {
    expect(groupQueues('reports')).toEqual(['reports.high', 'reports.medium', 'reports.low']);
    expect(groupQueues(null)).toEqual(['tasks.high', 'tasks.medium', 'tasks.low']);
  });
});

describe('routing patterns', () => {
  it.each(['reports', 'bulk_2', 'a-b', 'x'])('accepts the queue group %j', (name) => {
    expect(QUEUE_GROUP_PATTERN.test(name)).toBe(true);
  });

  it.each(['', 'Reports', 're.ports', '2bulk', 'a'.repeat(51), 'a b'])('refuses the queue group %j', (name) => {
    expect(QUEUE_GROUP_PATTERN.test(name)).toBe(false);
  });

  it.each(['billing.results', 'Billing.Results_v2', 'a', 'task.http.request', 'a-b.c_d'])('accepts the event routing key %j', (key) => {
    expect(EVENT_ROUTING_KEY_PATTERN.test(key)).toBe(true);
  });

  it.each(['', 'billing.*', 'billing.#', '.billing', 'billing.', 'a..b', 'a b', 'x'.repeat(256)])('refuses the event routing key %j', (key) => {
    expect(EVENT_ROUTING_KEY_PATTERN.test(key)).toBe(false);
  });
});

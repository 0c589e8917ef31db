import { randomUUID } from 'node:crypto';

/**
 * One LOW noop task as the create statement (INSERT_TASKS_WITH_OUTBOX) takes it, with its
 * dispatch message: what both benchmarks write when they measure the statement without HTTP.
 */
export function benchTaskRow() {
  const id = randomUUID();
  return {
    id,
    type: 'noop',
    title: 'bench',
    description: null,
    priority: 'LOW',
    payload: {},
    max_attempts: 4,
    run_at: null,
    correlation_id: 'bench',
    message_id: randomUUID(),
    exchange: 'tasks',
    routing_key: 'tasks.low',
    headers: {},
    body: { taskId: id },
  };
}

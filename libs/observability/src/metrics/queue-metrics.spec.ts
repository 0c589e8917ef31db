import { measuredQueues } from './queue-metrics.js';

describe(measuredQueues.name, () => {
  it('measures tasks.*, tasks.dlq and the three queues of each queue group', () => {
    expect(measuredQueues(['reports'])).toEqual(['tasks.high', 'tasks.medium', 'tasks.low', 'tasks.dlq', 'reports.high', 'reports.medium', 'reports.low']);
  });

  it('measures tasks.* and tasks.dlq alone when no type declares a group', () => {
    expect(measuredQueues([])).toEqual(['tasks.high', 'tasks.medium', 'tasks.low', 'tasks.dlq']);
  });
});

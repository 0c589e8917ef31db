import { defaultPriorityWeight, queuePriorityRank } from './config.types.js';

describe(queuePriorityRank.name, () => {
  it.each([
    ['tasks.high', 0],
    ['reports.high', 0],
    ['tasks.medium', 1],
    ['bulk_2.medium', 1],
    ['reports.low', 2],
    ['tasks.dlq', -1],
  ])('ranks %s %i', (queue, rank) => {
    expect(queuePriorityRank(queue)).toBe(rank);
  });
});

describe(defaultPriorityWeight.name, () => {
  it.each([
    ['tasks.high', 8],
    ['reports.high', 8],
    ['reports.medium', 3],
    ['tasks.low', 1],
  ])('weighs %s %i', (queue, weight) => {
    expect(defaultPriorityWeight(queue)).toBe(weight);
  });
});

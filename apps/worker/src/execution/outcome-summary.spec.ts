import { OutcomeSummary } from './outcome-summary.js';

describe(OutcomeSummary.name, () => {
  it('says nothing when nothing happened', () => {
    const sut = new OutcomeSummary(0);

    expect(sut.take(10_000)).toBeNull();
  });

  it('sums each outcome, in name order, with the total and the rate over the interval', () => {
    const sut = new OutcomeSummary(1_000);
    sut.add('SKIPPED');
    sut.add('COMPLETED', 18);
    sut.add('RETRYING');

    expect(sut.take(11_000)).toBe('last 10.0 s: 20 deliveries (2.0/s): COMPLETED 18, RETRYING 1, SKIPPED 1');
  });

  it('adds how many statements covered the claims and outcomes', () => {
    const sut = new OutcomeSummary(0);
    sut.add('COMPLETED', 100);

    const line = sut.take(10_000, { claims: { batches: 4, items: 100 }, outcomes: { batches: 5, items: 100 } });

    expect(line).toBe('last 10.0 s: 100 deliveries (10.0/s): COMPLETED 100; 100 claims in 4 statements, 100 outcomes in 5 statements');
  });

  it('starts counting again after each line', () => {
    const sut = new OutcomeSummary(0);
    sut.add('COMPLETED', 5);
    sut.take(5_000);
    sut.add('FAILED');

    expect(sut.take(7_000)).toBe('last 2.0 s: 1 deliveries (0.5/s): FAILED 1');
  });
});

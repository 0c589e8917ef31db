import { jest } from '@jest/globals';
import type { HealthIndicator, HealthIndicatorResult } from './health-indicator.js';
import { READINESS_CACHE_MS, READINESS_CHECK_TIMEOUT_MS, ReadinessProbe } from './readiness-probe.js';

/** An indicator that counts its checks and answers what the test says. */
class FakeIndicator implements HealthIndicator {
  checks = 0;
  answer: () => Promise<HealthIndicatorResult> = () => Promise.resolve({ up: true });

  constructor(readonly name: string) {}

  check(): Promise<HealthIndicatorResult> {
    this.checks++;
    return this.answer();
  }
}

describe(ReadinessProbe.name, () => {
  let postgres: FakeIndicator;
  let rabbitmq: FakeIndicator;
  let sut: ReadinessProbe;

  beforeEach(() => {
    jest.useFakeTimers();
    postgres = new FakeIndicator('postgres');
    rabbitmq = new FakeIndicator('rabbitmq');
    sut = new ReadinessProbe([postgres, rabbitmq]);
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('answers ready when every indicator is up', async () => {
    await expect(sut.check()).resolves.toEqual({
      ready: true,
      results: [
        { name: 'postgres', up: true },
        { name: 'rabbitmq', up: true },
      ],
    });
  });

  it('checks once for a flood of probes that arrive while a check runs', async () => {
    let release!: () => void;
    postgres.answer = () => new Promise((resolve) => (release = () => resolve({ up: true })));

    const probes = Array.from({ length: 50 }, () => sut.check());
    release();
    const reports = await Promise.all(probes);

    expect(postgres.checks).toBe(1);
    expect(rabbitmq.checks).toBe(1);
    expect(reports.every((r) => r.ready)).toBe(true);
  });

  it('serves the last answer for READINESS_CACHE_MS, then checks again', async () => {
    await sut.check();
    await jest.advanceTimersByTimeAsync(READINESS_CACHE_MS - 1);
    await sut.check();
    expect(postgres.checks).toBe(1);

    await jest.advanceTimersByTimeAsync(1);
    await sut.check();
    expect(postgres.checks).toBe(2);
  });

  it('counts an indicator down when it does not answer within READINESS_CHECK_TIMEOUT_MS', async () => {
    postgres.answer = () => new Promise(() => undefined);

    const report = sut.check();
    await jest.advanceTimersByTimeAsync(READINESS_CHECK_TIMEOUT_MS);

    await expect(report).resolves.toEqual({
      ready: false,
      results: [
        { name: 'postgres', up: false, problem: `no answer within ${READINESS_CHECK_TIMEOUT_MS} ms` },
        { name: 'rabbitmq', up: true },
      ],
    });
  });

  it('counts an indicator that throws as down, with its message', async () => {
    rabbitmq.answer = () => Promise.reject(new Error('connection refused'));

    const report = await sut.check();

    expect(report.ready).toBe(false);
    expect(report.results[1]).toEqual({ name: 'rabbitmq', up: false, problem: 'connection refused' });
  });
});

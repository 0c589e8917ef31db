import { familyOf, metricNames, observabilityExpressions, PROMETHEUS_SERIES } from '../unit/support/observability-files.js';
import type { AppProcess } from './support/app-process.js';
import { familyTypes, scrape } from './support/prometheus-text.js';
import { Suite } from './support/suite.js';

/**
 * The Grafana dashboard and the alert rules of deploy/observability read only metrics that the
 * running apps serve: each metric name of each PromQL expression is a family of the union of the
 * api's, the relay's and a worker's /metrics (a histogram's _bucket, _sum and _count resolve to
 * it), or a series Prometheus makes itself (`up`).
 */
describe('the dashboard and the alert rules against /metrics', () => {
  let suite: Suite;
  const served = new Map<string, Map<string, string>>();

  beforeAll(async () => {
    suite = await Suite.create('obs_files');
    const apps: AppProcess[] = await Promise.all([suite.startProcess('api'), suite.startProcess('relay'), suite.startProcess('worker')]);
    for (const app of apps) {
      const { status, text } = await scrape(app.url);
      if (status !== 200) throw new Error(`${app.name}'s /metrics answered ${status}`);
      served.set(app.name, familyTypes(text));
    }
  });

  afterAll(async () => {
    await suite.teardown();
  });

  it('name only metrics that the three apps serve', () => {
    const union = new Map([...served.values()].flatMap((app) => [...app]));
    const unknown = observabilityExpressions().flatMap(({ where, expr }) =>
      metricNames(expr)
        .filter((name) => !PROMETHEUS_SERIES.has(name) && !familyOf(name, union))
        .map((name) => `${where}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });

  it("finds each app's own families on its own /metrics, and Node's process metrics on all three", () => {
    const has = (app: string, name: string) => served.get(app)?.has(name) ?? false;
    expect(['http_request_duration_seconds', 'tasks_created_total'].filter((n) => !has('api', n))).toEqual([]);
    expect(
      [
        'outbox_rows_pending',
        'outbox_oldest_pending_age_seconds',
        'tasks_queue_messages_ready',
        'tasks_queue_oldest_message_age_seconds',
        'outbox_batches_total',
      ].filter((n) => !has('relay', n)),
    ).toEqual([]);
    expect(['worker_task_outcomes_total', 'worker_task_run_duration_seconds', 'worker_tasks_in_flight'].filter((n) => !has('worker', n))).toEqual([]);
    expect(has('api', 'worker_task_outcomes_total') || has('worker', 'tasks_created_total') || has('worker', 'outbox_rows_pending')).toBe(false);
    for (const app of ['api', 'relay', 'worker']) expect(has(app, 'process_resident_memory_bytes') && has(app, 'nodejs_eventloop_lag_p99_seconds')).toBe(true);
  });
});

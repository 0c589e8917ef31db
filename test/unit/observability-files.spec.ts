import { Counter, Gauge, Histogram, Summary } from 'prom-client';
import type { DatabaseService, MaintenanceRepository } from '#database';
import type { QueueInspector } from '#messaging';
import { BacklogMetrics, MetricsService, QueueMetrics } from '#observability';
import { familyOf, metricNames, observabilityExpressions, PROMETHEUS_SERIES, readAlertRules, readDashboard } from './support/observability-files.js';

/** Every metric family the apps register, by type: MetricsService's and the relay's scrape-time gauges (registered, never collected: no I/O). */
function registeredFamilies(): Map<string, string> {
  const metrics = new MetricsService();
  new QueueMetrics(metrics, {} as QueueInspector, []).onModuleInit();
  new BacklogMetrics(metrics, {} as DatabaseService, {} as MaintenanceRepository).onModuleInit();
  const families = new Map<string, string>();
  // By class, not by get(): get() would collect, and the scrape-time gauges would ask their stubs.
  const types = [
    [Histogram, 'histogram'],
    [Summary, 'summary'],
    [Counter, 'counter'],
    [Gauge, 'gauge'],
  ] as const;
  for (const metric of metrics.registry.getMetricsAsArray()) {
    const type = types.find(([kind]) => metric instanceof kind)?.[1] ?? 'untyped';
    families.set((metric as unknown as { name: string }).name, type);
  }
  return families;
}

describe(metricNames.name, () => {
  it('finds the metric of a rate under a histogram_quantile, without functions, labels, ranges or grouping', () => {
    const expr =
      'histogram_quantile(0.95, sum by (le, priority) (rate(worker_task_wait_duration_seconds_bucket{queue=~"tasks\\\\.(high)"}[$__rate_interval])))';
    expect(metricNames(expr)).toEqual(['worker_task_wait_duration_seconds_bucket']);
  });

  it('finds both sides of a binary operation, and not the keywords between them', () => {
    const expr = 'max by (queue) (a_total{queue="x"}) > 0 and on (queue) (sum(rate(b_total[10m])) or vector(0)) == 0 unless c offset 5m';
    expect(metricNames(expr).sort()).toEqual(['a_total', 'b_total', 'c']);
  });

  it('reads no name out of a string, a number or a duration', () => {
    expect(metricNames('count_values("not_a_metric", x) * 1e3 + 0.5 > bool 2')).toEqual(['x']);
  });
});

describe(familyOf.name, () => {
  const families = new Map([
    ['h_seconds', 'histogram'],
    ['c_total', 'counter'],
  ]);

  it('resolves the series of a histogram to it, and nothing else', () => {
    expect(['h_seconds_bucket', 'h_seconds_sum', 'h_seconds_count', 'c_total', 'c_total_count', 'missing'].map((n) => familyOf(n, families))).toEqual([
      'h_seconds',
      'h_seconds',
      'h_seconds',
      'c_total',
      undefined,
      undefined,
    ]);
  });
});

describe('the Grafana dashboard', () => {
  const dashboard = readDashboard();
  const panels = dashboard.panels.filter((panel) => panel.type !== 'row');

  it('has a uid, unique panel ids, and a query in every panel, on the provisioned Prometheus', () => {
    expect(dashboard.uid).toBe('task-service');
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    for (const panel of panels) {
      expect(panel.targets?.length).toBeGreaterThan(0);
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: 'prometheus' });
    }
  });

  it('shows intake, throughput, wait time, run time, retries, dead letters, outbox lag, queue depth and consumers', () => {
    const read = new Set(panels.flatMap((panel) => (panel.targets ?? []).flatMap((t) => metricNames(t.expr))));
    for (const name of [
      'tasks_created_total',
      'worker_task_outcomes_total',
      'worker_task_wait_duration_seconds_bucket',
      'worker_task_run_duration_seconds_bucket',
      'worker_task_retries_total',
      'worker_tasks_dead_lettered_total',
      'outbox_rows_pending',
      'outbox_oldest_pending_age_seconds',
      'tasks_queue_messages_ready',
      'tasks_queue_consumers',
      'tasks_queue_oldest_message_age_seconds',
    ]) {
      expect(read).toContain(name);
    }
  });
});

describe('the Prometheus alert rules', () => {
  it('page on outbox lag, a growing DLQ, a queue with depth and no consumers, and stuck tasks', () => {
    expect(readAlertRules().map((rule) => rule.alert)).toEqual(
      expect.arrayContaining(['OutboxLagGrowing', 'DeadLetterQueueGrowing', 'QueueWithoutConsumers', 'TasksStuckInQueue', 'TasksNotProgressing']),
    );
  });

  it.each(readAlertRules().map((rule) => [rule.alert, rule] as const))('%s has a severity, a summary and a description', (_, rule) => {
    expect(['critical', 'warning']).toContain(rule.labels?.severity);
    expect(rule.annotations?.summary).toEqual(expect.any(String));
    expect(rule.annotations?.description).toEqual(expect.any(String));
  });
});

describe('the dashboard and the alert rules', () => {
  it('read only metrics that the apps register (checked against running apps by test/integration/observability-files.int-spec.ts)', () => {
    const families = registeredFamilies();
    const unknown = observabilityExpressions().flatMap(({ where, expr }) => {
      const names = metricNames(expr);
      if (names.length === 0) return [`${where}: no metric in ${expr}`];
      return names.filter((name) => !PROMETHEUS_SERIES.has(name) && !familyOf(name, families)).map((name) => `${where}: ${name}`);
    });
    expect(unknown).toEqual([]);
  });

  it('knows a metric the apps do not register when it sees one (a check that can fail)', () => {
    expect(familyOf('worker_task_outcome_total', registeredFamilies())).toBeUndefined();
  });
});

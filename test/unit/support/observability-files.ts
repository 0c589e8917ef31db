import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';

/**
 * The dashboard and the alert rules of deploy/observability as data, and the metric names their
 * PromQL expressions read: the unit spec checks them against the metrics the code registers,
 * the integration spec against the running apps' /metrics.
 */
const root = process.cwd();
export const DASHBOARD_FILE = 'deploy/observability/grafana/dashboards/task-service.json';
export const ALERTS_FILE = 'deploy/observability/prometheus/alerts.yml';

export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string; datasource?: { type: string; uid: string } }[];
}

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function readDashboard(): { uid: string; title: string; panels: DashboardPanel[] } {
  return JSON.parse(readFileSync(resolve(root, DASHBOARD_FILE), 'utf8'));
}

export function readAlertRules(): AlertRule[] {
  const file = parse(readFileSync(resolve(root, ALERTS_FILE), 'utf8')) as { groups: { name: string; rules: AlertRule[] }[] };
  return file.groups.flatMap((group) => group.rules);
}

/** Every PromQL expression of the dashboard and the alert rules, with where it comes from. */
export function observabilityExpressions(): { where: string; expr: string }[] {
  const panels = readDashboard().panels.flatMap((panel) => (panel.targets ?? []).map((t) => ({ where: `panel "${panel.title}" ${t.refId}`, expr: t.expr })));
  const alerts = readAlertRules().map((rule) => ({ where: `alert ${rule.alert}`, expr: rule.expr }));
  return [...panels, ...alerts];
}

/** Series Prometheus makes itself for each target; no app serves them. */
export const PROMETHEUS_SERIES: ReadonlySet<string> = new Set(['up']);

const NOT_METRICS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/**
 * The metric names a PromQL expression reads: its identifiers once strings, label matchers,
 * ranges, grouping label lists and Grafana variables are taken out, without function names (an
 * identifier followed by `(`) and keywords.
 */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ');
  const names = new Set<string>();
  for (const [, name, call] of bare.matchAll(/(?<![\w:.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(\s*\()?/g)) {
    if (!call && !NOT_METRICS.has(name.toLowerCase())) names.add(name);
  }
  return [...names];
}

/**
 * The family a sample name belongs to among `families` (name → type): itself, or for
 * `x_bucket`, `x_sum` and `x_count` the histogram (or summary) `x`. Undefined when none.
 */
export function familyOf(name: string, families: ReadonlyMap<string, string>): string | undefined {
  if (families.has(name)) return name;
  const suffix = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (!suffix) return undefined;
  const type = families.get(suffix[1]);
  if (type === 'histogram' || (type === 'summary' && suffix[2] !== 'bucket')) return suffix[1];
  return undefined;
}

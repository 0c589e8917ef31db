// Pure helpers of `npm run bench`: percentiles, ratios against targets, the table. No I/O here,
// so test/unit/bench-report.spec.ts can check them.

/** The q-th quantile (0..1) of `values` by nearest rank; NaN when there are none. */
export function percentile(values, q) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/**
 * Whether `ratio` meets a target: `{ op: '>=', value: 1.3 }` for a figure where more is better
 * (throughput), `{ op: '<=', value: 2 }` where less is (latency, memory). `null` when either is
 * missing: no target, or a reference this run did not measure.
 */
export function verdict(ratio, target) {
  if (!target || !Number.isFinite(ratio)) return null;
  return target.op === '>=' ? ratio >= target.value : ratio <= target.value;
}

/** A figure with its unit: 1,234 /s, 12.3 ms, 98 MB. */
export function formatValue(value, unit) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  const text = value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return unit ? `${text} ${unit}` : text;
}

export function formatRatio(ratio) {
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '—';
}

export function formatTarget(target) {
  return target ? `${target.op === '>=' ? '≥' : '≤'} ${target.value}×` : '—';
}

/**
 * The rows of the table from the figures: each row is
 * `{ figure, ours: { value, unit }, reference: { label, value, unit } | null, target }`.
 * The ratio is ours ÷ reference.
 */
export function tableRows(rows) {
  return rows.map((row) => {
    const ratio = row.reference && Number.isFinite(row.reference.value) && row.reference.value !== 0 ? row.ours.value / row.reference.value : Number.NaN;
    const met = verdict(ratio, row.target);
    return {
      figure: row.figure,
      ours: formatValue(row.ours.value, row.ours.unit),
      reference: row.reference ? `${formatValue(row.reference.value, row.reference.unit)} ${row.reference.label}` : '—',
      ratio: formatRatio(ratio),
      target: formatTarget(row.target),
      result: met === null ? (row.target ? 'not measured' : 'info') : met ? 'met' : 'NOT MET',
    };
  });
}

/** A Markdown table of tableRows(...), columns padded so it also reads in a terminal. */
export function formatTable(formatted) {
  const headers = { figure: 'figure', ours: 'ours', reference: 'reference (same run)', ratio: 'ratio', target: 'target', result: 'result' };
  const keys = Object.keys(headers);
  const width = Object.fromEntries(keys.map((k) => [k, Math.max(headers[k].length, ...formatted.map((r) => r[k].length))]));
  const line = (r) => `| ${keys.map((k) => r[k].padEnd(width[k])).join(' | ')} |`;
  return [line(headers), `| ${keys.map((k) => '-'.repeat(width[k])).join(' | ')} |`, ...formatted.map(line)].join('\n');
}

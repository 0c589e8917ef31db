import { formatTable, formatValue, percentile, tableRows, verdict } from '../../bench/lib/report.mjs';

describe('bench report helpers', () => {
  it('takes percentiles by nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 0.5)).toBe(50);
    expect(percentile(values, 0.99)).toBe(99);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBeNaN();
  });

  it('meets a target in its direction only', () => {
    expect(verdict(1.3, { op: '>=', value: 1.3 })).toBe(true);
    expect(verdict(1.29, { op: '>=', value: 1.3 })).toBe(false);
    expect(verdict(2.01, { op: '<=', value: 2 })).toBe(false);
    expect(verdict(0.5, { op: '<=', value: 2 })).toBe(true);
    expect(verdict(Number.NaN, { op: '>=', value: 1 })).toBeNull();
    expect(verdict(1, null)).toBeNull();
  });

  it('formats figures by magnitude and marks a missing one', () => {
    expect(formatValue(1234.6, '/s')).toBe('1,235 /s');
    expect(formatValue(12.345, 'ms')).toBe('12.3 ms');
    expect(formatValue(1.2345, 'ms')).toBe('1.23 ms');
    expect(formatValue(Number.NaN, 'ms')).toBe('—');
  });

  it('computes ours ÷ reference and says met, NOT MET, info or not measured', () => {
    const rows = tableRows([
      { figure: 'fast', ours: { value: 300, unit: '/s' }, reference: { label: 'ref', value: 100, unit: '/s' }, target: { op: '>=', value: 3 } },
      { figure: 'slow', ours: { value: 50, unit: 'ms' }, reference: { label: 'ref', value: 10, unit: 'ms' }, target: { op: '<=', value: 2 } },
      { figure: 'plain', ours: { value: 1, unit: '/s' }, reference: { label: 'ref', value: 4, unit: '/s' }, target: null },
      { figure: 'peer', ours: { value: 1, unit: '/s' }, reference: { label: 'peer', value: Number.NaN, unit: '/s' }, target: { op: '>=', value: 1 } },
    ]);
    expect(rows.map((r) => [r.ratio, r.result])).toEqual([
      ['3.00×', 'met'],
      ['5.00×', 'NOT MET'],
      ['0.25×', 'info'],
      ['—', 'not measured'],
    ]);
    const table = formatTable(rows).split('\n');
    expect(table).toHaveLength(6);
    expect(new Set(table.map((line) => line.length)).size).toBe(1);
    expect(table[0]).toMatch(/^\| figure +\| ours +\| reference \(same run\) +\| ratio +\| target +\| result +\|$/);
  });
});

export interface Target {
  op: '>=' | '<=';
  value: number;
}
export interface Row {
  figure: string;
  ours: { value: number; unit?: string };
  reference: { label: string; value: number; unit?: string } | null;
  target: Target | null;
}
export interface FormattedRow {
  figure: string;
  ours: string;
  reference: string;
  ratio: string;
  target: string;
  result: string;
}
export function percentile(values: readonly number[], q: number): number;
export function verdict(ratio: number, target: Target | null): boolean | null;
export function formatValue(value: number | null | undefined, unit?: string): string;
export function formatRatio(ratio: number): string;
export function formatTarget(target: Target | null): string;
export function tableRows(rows: readonly Row[]): FormattedRow[];
export function formatTable(formatted: readonly FormattedRow[]): string;

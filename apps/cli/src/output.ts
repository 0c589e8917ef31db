/** How a command writes its answer: a table (or lines) for people, or JSON for scripts. */
export interface Output {
  readonly json: boolean;
  /** JSON mode: the value, pretty-printed, as the command's whole stdout. */
  data(value: unknown): void;
  /** Human mode: a line. */
  line(text?: string): void;
  /** Human mode: a table. */
  table(headers: string[], rows: (string | number | null | undefined)[][]): void;
}

export function createOutput(json: boolean, write: (text: string) => void = (t) => process.stdout.write(t)): Output {
  return {
    json,
    data: (value) => write(`${JSON.stringify(value, null, 2)}\n`),
    line: (text = '') => write(`${text}\n`),
    table: (headers, rows) => write(formatTable(headers, rows)),
  };
}

/**
 * Columns padded to their widest cell, two spaces apart, headers in capitals; a cell is cut to
 * 60 characters with an ellipsis, and line breaks in it become spaces, so one row stays one line.
 */
export function formatTable(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [headers.map((h) => h.toUpperCase()), ...rows.map((row) => row.map(cell))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => graphemes(row[i] ?? '').length)));
  return cells.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c + ' '.repeat(widths[i] - graphemes(c).length))).join('  ')).join('\n') + '\n';
}

function cell(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  const text = String(value).replace(/\s+/g, ' ');
  const parts = graphemes(text);
  return parts.length > 60 ? `${parts.slice(0, 59).join('')}…` : text;
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** What a reader sees as characters (an emoji with its modifiers is one), for widths and cuts. */
function graphemes(text: string): string[] {
  return Array.from(segmenter.segment(text), (s) => s.segment);
}

/** A time as people read it: ISO without milliseconds, UTC; `-` when absent. */
export function shortTime(iso: string | null | undefined): string {
  return iso ? iso.replace(/\.\d+Z$/, 'Z').replace('T', ' ') : '-';
}

import { formatClock } from './format.js';
import { svg } from './dom.js';

export interface Series {
  name: string;
  /** A CSS class that gives the line its colour (see dashboard.css). */
  className: string;
  points: { at: number; value: number }[];
}

const WIDTH = 560;
const HEIGHT = 160;
const PAD = { left: 44, right: 8, top: 10, bottom: 22 };

/**
 * A small line chart as SVG, drawn at a fixed size (the viewBox scales it) so redrawing it never
 * moves the page. `format` labels the top of the scale. Colours come from CSS classes: inline
 * styles are not allowed by the dashboard's Content-Security-Policy.
 */
export function lineChart(series: Series[], format: (value: number) => string, windowMs: number, now: number): SVGElement {
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.value))));
  const from = now - windowMs;
  const x = (at: number) => PAD.left + ((at - from) / windowMs) * (WIDTH - PAD.left - PAD.right);
  const y = (value: number) => PAD.top + (1 - value / max) * (HEIGHT - PAD.top - PAD.bottom);
  const grid = [0, 0.5, 1].map((f) =>
    svg(
      'g',
      { class: 'grid' },
      svg('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(max * f), y2: y(max * f) }),
      svg('text', { x: PAD.left - 4, y: y(max * f) + 4, 'text-anchor': 'end' }, format(max * f)),
    ),
  );
  const ticks = [from, from + windowMs / 2, now].map((at, i) =>
    svg('text', { class: 'tick', x: x(at), y: HEIGHT - 6, 'text-anchor': i === 0 ? 'start' : i === 2 ? 'end' : 'middle' }, formatClock(at)),
  );
  const lines = series.map((s) => {
    const points = s.points.filter((p) => p.at >= from);
    return svg('polyline', { class: `line ${s.className}`, points: points.map((p) => `${x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ') });
  });
  return svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: 'chart', 'aria-hidden': 'true', focusable: 'false' }, grid, ticks, lines);
}

/** 1, 2 or 5 times a power of ten, at least `value` (and at least 1). */
export function niceMax(value: number): number {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

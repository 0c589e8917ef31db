import { PRIORITIES, STATUSES, type Stats } from '../api.js';
import { lineChart } from '../chart.js';
import { h, replaceChildren, setText } from '../dom.js';
import { formatClock, formatCount, formatDuration, formatRate } from '../format.js';
import { history, onStats, STATS_POLL_MS, STATS_WINDOW_MS } from '../live-stats.js';
import { byStatus, priorityOfQueue } from '../stats-history.js';
import { problemBox } from '../ui.js';

/** The charts span the polls so far, at least a minute and at most the five minutes kept. */
const MIN_SPAN_MS = 60_000;

/**
 * Overview: the queues, the counts by status, the outbox, and charts of the last five minutes,
 * from the stats polled every few seconds (live-stats.ts). The page is built once; each poll only changes text and redraws the
 * fixed-size charts, so nothing moves.
 */
export function overviewView(container: HTMLElement): () => void {
  const cells = new Map<string, HTMLElement>();
  const cell = (key: string, tag: 'td' | 'span' = 'td') => {
    const element = h(tag, { class: 'num' }, '—');
    cells.set(key, element);
    return element;
  };
  const queueRows = PRIORITIES.map((p) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, `tasks.${p.toLowerCase()}`),
      cell(`${p}.depth`),
      cell(`${p}.consumers`),
      cell(`${p}.oldest`),
      cell(`${p}.in`),
      cell(`${p}.out`),
    ),
  );
  const statusRows = STATUSES.map((s) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, h('a', { href: `#/tasks?status=${s}` }, s)),
      PRIORITIES.map((p) => cell(`${s}.${p}`)),
      cell(`${s}.total`),
    ),
  );
  const throughput = h('div', { class: 'chart-box' });
  const wait = h('div', { class: 'chart-box' });
  const throughputSummary = h('p', { class: 'chart-summary' }, 'Waiting for two polls…');
  const waitSummary = h('p', { class: 'chart-summary' }, 'Waiting for two polls…');
  const summary = h('p', { class: 'summary', 'aria-live': 'polite' }, 'Loading…');
  const updated = h('span', { class: 'muted small' }, '');
  const error = h('div', { class: 'error-slot' });

  replaceChildren(
    container,
    h('h1', {}, 'Overview'),
    h('p', { class: 'lede' }, summary, ' ', updated),
    error,
    h(
      'div',
      { class: 'grid-2' },
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'queues-title' },
        h('h2', { id: 'queues-title' }, 'Queues'),
        h(
          'div',
          { class: 'table-scroll' },
          h(
            'table',
            {},
            h('caption', { class: 'sr-only' }, 'Per priority queue: messages waiting, consumers, the oldest waiting task, tasks in and out per second'),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', { scope: 'col' }, 'Queue'),
                h('th', { scope: 'col', class: 'num' }, 'Depth'),
                h('th', { scope: 'col', class: 'num' }, 'Consumers'),
                h('th', { scope: 'col', class: 'num' }, 'Oldest waiting'),
                h('th', { scope: 'col', class: 'num' }, 'In'),
                h('th', { scope: 'col', class: 'num' }, 'Out'),
              ),
            ),
            h('tbody', {}, queueRows),
          ),
        ),
        h(
          'p',
          { class: 'muted small' },
          'In: tasks created per second; out: tasks finished (completed, failed or cancelled) per second, between the last two polls.',
        ),
        h(
          'dl',
          { class: 'inline' },
          h('dt', {}, 'Outbox backlog'),
          h('dd', {}, cell('outbox.backlog', 'span')),
          h('dt', {}, 'Oldest in the outbox'),
          h('dd', {}, cell('outbox.oldest', 'span')),
        ),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'status-title' },
        h('h2', { id: 'status-title' }, 'Tasks by status'),
        h(
          'div',
          { class: 'table-scroll' },
          h(
            'table',
            {},
            h('caption', { class: 'sr-only' }, 'Tasks by status and priority'),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', { scope: 'col' }, 'Status'),
                PRIORITIES.map((p) => h('th', { scope: 'col', class: 'num' }, p)),
                h('th', { scope: 'col', class: 'num' }, 'All'),
              ),
            ),
            h('tbody', {}, statusRows),
          ),
        ),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'throughput-title' },
        h('h2', { id: 'throughput-title' }, 'Throughput'),
        h('p', { class: 'legend' }, h('span', { class: 'key completed' }, 'completed/s'), h('span', { class: 'key failed' }, 'failed/s')),
        throughput,
        throughputSummary,
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'wait-title' },
        h('h2', { id: 'wait-title' }, 'Wait time'),
        h('p', { class: 'legend' }, h('span', { class: 'key wait' }, 'oldest PENDING task, seconds')),
        wait,
        waitSummary,
      ),
    ),
  );

  const set = (key: string, text: string) => {
    const element = cells.get(key);
    if (element) setText(element, text);
  };

  const render = (stats: Stats) => {
    const rates = history.rates();
    const last = rates.at(-1);
    for (const q of stats.queues) {
      const p = priorityOfQueue(q.queue);
      if (!p) continue;
      set(`${p}.depth`, formatCount(q.depth));
      set(`${p}.consumers`, formatCount(q.consumers));
      set(`${p}.oldest`, formatDuration(q.oldestAgeSeconds));
      set(`${p}.in`, last ? formatRate(last.inByPriority[p]) : '—');
      set(`${p}.out`, last ? formatRate(last.outByPriority[p]) : '—');
    }
    for (const s of STATUSES) {
      for (const p of PRIORITIES) set(`${s}.${p}`, formatCount(stats.tasks[s]?.[p] ?? 0));
      set(`${s}.total`, formatCount(byStatus(stats, s)));
    }
    set('outbox.backlog', formatCount(stats.outbox.backlog));
    set('outbox.oldest', formatDuration(stats.outbox.oldestAgeSeconds));
    const waiting = byStatus(stats, 'NEW') + byStatus(stats, 'PENDING') + byStatus(stats, 'RETRYING');
    setText(
      summary,
      `${formatCount(waiting)} waiting, ${formatCount(byStatus(stats, 'IN_PROGRESS'))} running, ${formatCount(byStatus(stats, 'FAILED'))} failed.`,
    );
    const now = Date.now();
    const span = Math.min(STATS_WINDOW_MS, Math.max(MIN_SPAN_MS, now - (history.first?.at ?? now)));
    replaceChildren(
      throughput,
      lineChart(
        [
          { name: 'completed', className: 'completed', points: rates.map((r) => ({ at: r.at, value: r.completed })) },
          { name: 'failed', className: 'failed', points: rates.map((r) => ({ at: r.at, value: r.failed })) },
        ],
        (v) => formatRate(v),
        span,
        now,
      ),
    );
    replaceChildren(
      wait,
      lineChart(
        [{ name: 'wait', className: 'wait', points: rates.map((r) => ({ at: r.at, value: r.oldestWaitSeconds })) }],
        (v) => formatDuration(v),
        span,
        now,
      ),
    );
    if (last) {
      const peak = Math.max(...rates.map((r) => r.completed + r.failed));
      setText(
        throughputSummary,
        `Now ${formatRate(last.completed)} completed and ${formatRate(last.failed)} failed; ` +
          `the peak in the last ${formatDuration(span / 1000)}: ${formatRate(peak)}.`,
      );
      setText(
        waitSummary,
        `The oldest waiting task has waited ${formatDuration(last.oldestWaitSeconds)}; ` +
          `the longest in the last ${formatDuration(span / 1000)}: ${formatDuration(Math.max(...rates.map((r) => r.oldestWaitSeconds)))}.`,
      );
    }
  };

  const latest = history.latest;
  if (latest) {
    render(latest.stats);
    setText(updated, `Updated ${formatClock(latest.at)}, every ${STATS_POLL_MS / 1000} s.`);
  }
  return onStats((update) => {
    if (update.stats) {
      render(update.stats);
      // For the load time in documents/dashboard.md: when the first figures are on screen.
      if (performance.getEntriesByName('dashboard:first-stats').length === 0) performance.mark('dashboard:first-stats');
      replaceChildren(error);
      setText(updated, `Updated ${formatClock(update.at)}, every ${STATS_POLL_MS / 1000} s.`);
    } else if (!error.hasChildNodes()) {
      // Shown once, not re-announced on every failed poll.
      replaceChildren(error, problemBox(update.error, 'The stats could not be loaded'));
    }
  });
}

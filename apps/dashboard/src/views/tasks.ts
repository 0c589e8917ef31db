import { call, type Page, PRIORITIES, query, STATUSES, type Task } from '../api.js';
import { h, replaceChildren, setText } from '../dom.js';
import { poll } from '../poll.js';
import { problemBox, statusBadge, timeElement } from '../ui.js';

const PAGE_SIZE = 20;
const REFRESH_MS = 4000;

/**
 * Tasks: the API's filters (status, priority, type) and its cursor paging. The filters live in
 * the address (#/tasks?status=FAILED), so a view can be bookmarked or shared; the cursors of the
 * pages seen are kept in memory for "Previous". The page shown refreshes every few seconds.
 */
export function tasksView(container: HTMLElement, params: URLSearchParams, types: string[]): () => void {
  const filters = { status: params.get('status') ?? '', priority: params.get('priority') ?? '', type: params.get('type') ?? '' };
  const cursors: (string | null)[] = [null];
  let nextCursor: string | null = null;

  const select = (name: keyof typeof filters, label: string, options: readonly string[]) =>
    h(
      'label',
      { class: 'field' },
      h('span', {}, label),
      h(
        'select',
        {
          name,
          onchange: (event: Event) => {
            filters[name] = (event.target as HTMLSelectElement).value;
            location.hash = `#/tasks${query(filters)}`;
          },
        },
        h('option', { value: '' }, 'Any'),
        options.map((o) => h('option', { value: o, selected: o === filters[name] }, o)),
      ),
    );

  const body = h('tbody', {});
  const position = h('span', { class: 'muted', 'aria-live': 'polite' }, '');
  const previous = h('button', { type: 'button', disabled: true, onclick: () => go(-1) }, '← Previous');
  const next = h('button', { type: 'button', disabled: true, onclick: () => go(1) }, 'Next →');
  const error = h('div', { class: 'error-slot' });

  replaceChildren(
    container,
    h('h1', {}, 'Tasks'),
    h(
      'form',
      { class: 'filters', role: 'search', 'aria-label': 'Filter tasks', onsubmit: (e: Event) => e.preventDefault() },
      select('status', 'Status', STATUSES),
      select('priority', 'Priority', PRIORITIES),
      select('type', 'Type', types),
      h('a', { href: '#/types', class: 'button-link' }, 'New task…'),
    ),
    error,
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'tasks' },
        h('caption', { class: 'sr-only' }, 'Tasks, newest first'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'Title'),
            h('th', { scope: 'col', class: 'wide-only' }, 'Type'),
            h('th', { scope: 'col' }, 'Priority'),
            h('th', { scope: 'col' }, 'Status'),
            h('th', { scope: 'col', class: 'num wide-only' }, 'Attempts'),
            h('th', { scope: 'col', class: 'num wide-only' }, 'Progress'),
            h('th', { scope: 'col' }, 'Created'),
          ),
        ),
        body,
      ),
    ),
    h('nav', { class: 'pager', 'aria-label': 'Pages' }, previous, position, next),
  );

  const load = async () => {
    const cursor = cursors.at(-1) ?? null;
    try {
      const page = await call<Page<Task>>('GET', `/tasks${query({ ...filters, limit: PAGE_SIZE, cursor })}`);
      nextCursor = page.nextCursor;
      const now = Date.now();
      // The rows are rebuilt on each refresh: a keyboard user's focus on a task's link moves to
      // the same task's new link instead of falling back to the page.
      const focused =
        document.activeElement instanceof HTMLElement && body.contains(document.activeElement)
          ? document.activeElement.closest('tr')?.dataset.taskId
          : undefined;
      replaceChildren(
        body,
        page.items.length === 0
          ? h('tr', {}, h('td', { colspan: '7', class: 'muted' }, 'No task matches these filters.'))
          : page.items.map((t) =>
              h(
                'tr',
                { 'data-task-id': t.id },
                h('td', {}, h('a', { href: `#/tasks/${t.id}` }, t.title)),
                h('td', { class: 'wide-only' }, t.type),
                h('td', {}, t.priority),
                h('td', {}, statusBadge(t.status)),
                h('td', { class: 'num wide-only' }, `${t.attempts}/${t.maxAttempts}`),
                h('td', { class: 'num wide-only' }, t.progress === null ? '—' : `${t.progress} %`),
                h('td', {}, timeElement(t.createdAt, now)),
              ),
            ),
      );
      if (focused) body.querySelector<HTMLElement>(`tr[data-task-id="${focused}"] a`)?.focus();
      previous.disabled = cursors.length <= 1;
      next.disabled = nextCursor === null;
      setText(position, `Page ${cursors.length}`);
      replaceChildren(error);
    } catch (e) {
      replaceChildren(error, problemBox(e, 'The tasks could not be loaded'));
      throw e;
    }
  };

  let stop = poll(load, REFRESH_MS);
  const go = (step: 1 | -1) => {
    if (step === 1 && nextCursor) cursors.push(nextCursor);
    if (step === -1 && cursors.length > 1) cursors.pop();
    stop();
    stop = poll(load, REFRESH_MS);
  };
  return () => stop();
}

import { call, type DeadLetter, type DeadLetterSummary, type Page, query, type ReplayResult } from '../api.js';
import { h, replaceChildren, setText } from '../dom.js';
import { formatCount } from '../format.js';
import { announce, confirmAction, problemBox, timeElement, writeButton } from '../ui.js';

const PAGE_SIZE = 50;

/**
 * DLQ: what failed for good, grouped by type and reason; the failed tasks of a group with their
 * reason; replay (a retry through the outbox) of one, of a selection, of a group, or of every
 * failed task of a type. Loaded on opening and after each replay, with a Refresh button: a list
 * someone is ticking boxes in must not change under their hands.
 */
export function dlqView(container: HTMLElement, params: URLSearchParams): () => void {
  const filter = { type: params.get('type') ?? '', reason: params.get('reason') ?? '' };
  const cursors: (string | null)[] = [null];
  let nextCursor: string | null = null;
  const selected = new Set<string>();

  const totals = h('p', { class: 'lede', 'aria-live': 'polite' }, 'Loading…');
  const groupsBody = h('tbody', {});
  const listTitle = h('h2', { id: 'dlq-list-title' }, 'Failed tasks');
  const listBody = h('tbody', {});
  const outcome = h('div', { class: 'error-slot' });
  const selectAll = h('input', { type: 'checkbox', 'aria-label': 'Select every task on this page', onchange: () => toggleAll(selectAll.checked) });
  const retrySelected = writeButton(
    'Retry selected…',
    () => void replay({ ids: [...selected] }, `Retry ${selected.size} selected task${selected.size === 1 ? '' : 's'}?`),
  );
  const previous = h('button', { type: 'button', disabled: true, onclick: () => void page(-1) }, '← Previous');
  const next = h('button', { type: 'button', disabled: true, onclick: () => void page(1) }, 'Next →');

  replaceChildren(
    container,
    h('h1', {}, 'Dead-letter queue'),
    totals,
    outcome,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'dlq-groups-title' },
      h(
        'div',
        { class: 'card-head' },
        h('h2', { id: 'dlq-groups-title' }, 'By type and reason'),
        h('button', { type: 'button', onclick: () => void reload() }, 'Refresh'),
      ),
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          {},
          h('caption', { class: 'sr-only' }, 'Failed tasks grouped by type and reason, largest group first'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'Type'),
              h('th', { scope: 'col' }, 'Reason'),
              h('th', { scope: 'col', class: 'num' }, 'Tasks'),
              h('th', { scope: 'col' }, 'Last failure'),
              h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')),
            ),
          ),
          groupsBody,
        ),
      ),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'dlq-list-title' },
      h('div', { class: 'card-head' }, listTitle, retrySelected),
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          {},
          h('caption', { class: 'sr-only' }, 'Failed tasks, most recent first'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, selectAll),
              h('th', { scope: 'col' }, 'Title'),
              h('th', { scope: 'col' }, 'Type'),
              h('th', { scope: 'col' }, 'Reason'),
              h('th', { scope: 'col' }, 'Error'),
              h('th', { scope: 'col' }, 'Failed'),
              h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')),
            ),
          ),
          listBody,
        ),
      ),
      h('nav', { class: 'pager', 'aria-label': 'Pages of failed tasks' }, previous, next),
    ),
  );

  const updateSelection = () => {
    setText(retrySelected, selected.size > 0 ? `Retry ${selected.size} selected…` : 'Retry selected…');
    if (!retrySelected.title) retrySelected.disabled = selected.size === 0;
  };

  const toggleAll = (on: boolean) => {
    for (const box of listBody.querySelectorAll<HTMLInputElement>('input[type=checkbox]')) {
      box.checked = on;
      if (on) selected.add(box.value);
      else selected.delete(box.value);
    }
    updateSelection();
  };

  const replay = async (body: Record<string, unknown>, question: string) => {
    if (!(await confirmAction(question, 'Each task goes back to NEW with its attempts starting again, and is dispatched anew through the outbox.', 'Retry')))
      return;
    try {
      const result = await call<ReplayResult>('POST', '/dlq/replay', body);
      const skipped = result.skipped.length > 0 ? ` ${result.skipped.length} were no longer FAILED and were left as they are.` : '';
      const message = `Sent ${result.replayed} task${result.replayed === 1 ? '' : 's'} back to NEW.${skipped}`;
      replaceChildren(outcome, h('p', { class: 'notice', role: 'status' }, message));
      announce(message);
      selected.clear();
      await reload();
    } catch (e) {
      replaceChildren(outcome, problemBox(e, 'The API refused the retry'));
    }
  };

  const loadSummary = async () => {
    const summary = await call<DeadLetterSummary>('GET', '/dlq');
    const copies =
      summary.queue.messages === null
        ? 'an unknown number of copies'
        : `${formatCount(summary.queue.messages)} cop${summary.queue.messages === 1 ? 'y' : 'ies'}`;
    setText(totals, `${formatCount(summary.total)} task${summary.total === 1 ? '' : 's'} failed for good; ${summary.queue.name} holds ${copies}.`);
    const now = Date.now();
    replaceChildren(
      groupsBody,
      summary.groups.length === 0
        ? h('tr', {}, h('td', { colspan: '5', class: 'muted' }, 'Nothing has failed for good.'))
        : summary.groups.map((g) =>
            h(
              'tr',
              { 'data-type': g.type, 'data-reason': g.reason, class: g.type === filter.type && g.reason === filter.reason ? 'current' : '' },
              h('th', { scope: 'row' }, g.type),
              h('td', {}, g.reason),
              h('td', { class: 'num' }, formatCount(g.count)),
              h('td', {}, timeElement(g.newestFailedAt, now)),
              h(
                'td',
                { class: 'row-actions' },
                h(
                  'a',
                  { href: `#/dlq${query({ type: g.type, reason: g.reason })}`, 'aria-label': `Show the ${g.type} tasks that failed with ${g.reason}` },
                  'Show',
                ),
                writeButton(
                  'Retry group…',
                  () => void replay({ type: g.type, reason: g.reason }, `Retry the ${formatCount(g.count)} ${g.type} tasks that failed with ${g.reason}?`),
                  {
                    'aria-label': `Retry every ${g.type} task that failed with ${g.reason}`,
                  },
                ),
                writeButton('Retry all of type…', () => void replay({ type: g.type }, `Retry every failed ${g.type} task, whatever its reason?`), {
                  'aria-label': `Retry every failed ${g.type} task`,
                }),
              ),
            ),
          ),
    );
  };

  const loadList = async () => {
    const cursor = cursors.at(-1) ?? null;
    const page = await call<Page<DeadLetter>>('GET', `/dlq/tasks${query({ ...filter, limit: PAGE_SIZE, cursor })}`);
    nextCursor = page.nextCursor;
    setText(listTitle, filter.type || filter.reason ? `Failed tasks: ${[filter.type, filter.reason].filter(Boolean).join(', ')}` : 'Failed tasks');
    const now = Date.now();
    replaceChildren(
      listBody,
      page.items.length === 0
        ? h('tr', {}, h('td', { colspan: '7', class: 'muted' }, 'No failed task here.'))
        : page.items.map((d) =>
            h(
              'tr',
              { 'data-task-id': d.task.id },
              h(
                'td',
                {},
                h('input', {
                  type: 'checkbox',
                  value: d.task.id,
                  checked: selected.has(d.task.id),
                  'aria-label': `Select ${d.task.title}`,
                  onchange: (event: Event) => {
                    const box = event.target as HTMLInputElement;
                    if (box.checked) selected.add(box.value);
                    else selected.delete(box.value);
                    updateSelection();
                  },
                }),
              ),
              h('td', {}, h('a', { href: `#/tasks/${d.task.id}` }, d.task.title)),
              h('td', {}, d.task.type),
              h('td', {}, d.reason),
              h('td', { class: 'clip', title: d.task.error ?? '' }, d.task.error ?? '—'),
              h('td', {}, timeElement(d.failedAt, now)),
              h(
                'td',
                {},
                writeButton('Retry…', () => void replay({ ids: [d.task.id] }, `Retry “${d.task.title}”?`), { 'aria-label': `Retry ${d.task.title}` }),
              ),
            ),
          ),
    );
    selectAll.checked = false;
    previous.disabled = cursors.length <= 1;
    next.disabled = nextCursor === null;
    updateSelection();
  };

  const reload = async () => {
    try {
      await Promise.all([loadSummary(), loadList()]);
    } catch (e) {
      replaceChildren(outcome, problemBox(e, 'The dead-letter queue could not be loaded'));
    }
  };

  const page = async (step: 1 | -1) => {
    if (step === 1 && nextCursor) cursors.push(nextCursor);
    if (step === -1 && cursors.length > 1) cursors.pop();
    try {
      await loadList();
    } catch (e) {
      replaceChildren(outcome, problemBox(e, 'The failed tasks could not be loaded'));
    }
  };

  void reload();
  return () => undefined;
}

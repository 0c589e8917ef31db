import { ApiProblem, session } from './api.js';
import { h } from './dom.js';
import { formatRelative, formatTime } from './format.js';

/** A status as a coloured badge whose text is the status itself (colour is never the only cue). */
export function statusBadge(status: string): HTMLElement {
  return h('span', { class: `badge status-${status.toLowerCase()}` }, status);
}

/** A time in the viewer's zone with its age: "26 Nov 2026, 01:02:03 CET (12 s ago)". */
export function timeElement(iso: string | null | undefined, now = Date.now()): HTMLElement {
  if (!iso) return h('span', { class: 'muted' }, '—');
  return h('time', { datetime: iso, title: iso }, h('span', { class: 'abs' }, formatTime(iso)), h('span', { class: 'age' }, ` (${formatRelative(iso, now)})`));
}

/** What the API said when it refused, or why it could not be asked: title, detail, field errors, request id. */
export function problemBox(error: unknown, context?: string): HTMLElement {
  const problem = error instanceof ApiProblem ? error : null;
  const message = error instanceof Error ? error.message : String(error);
  return h(
    'div',
    { class: 'problem', role: 'alert' },
    h(
      'p',
      { class: 'problem-title' },
      context ? `${context}: ` : '',
      problem ? `${problem.title}${problem.status ? ` (${problem.status}${problem.code ? ` ${problem.code}` : ''})` : ''}` : 'Something went wrong',
    ),
    h('p', {}, problem ? problem.detail : message),
    problem && problem.errors.length > 0
      ? h(
          'ul',
          {},
          problem.errors.map((e) => h('li', {}, h('code', {}, e.field), ': ', e.message)),
        )
      : null,
    problem?.requestId ? h('p', { class: 'muted small' }, `Request id ${problem.requestId}`) : null,
  );
}

/**
 * A button that changes something. With a key the API has refused as read-only it is disabled
 * and says why (the API's 403 stays the authority; this only spares a refused click).
 */
export function writeButton(label: string, onClick: () => void, attributes: Record<string, string> = {}): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'write', ...attributes, onclick: () => onClick() }, label);
  applyReadOnly(button);
  return button;
}

export function applyReadOnly(button: HTMLButtonElement): void {
  if (!session.readOnly()) return;
  button.disabled = true;
  button.title = 'This API key is read-only';
  button.setAttribute('aria-describedby', 'read-only-note');
}

/** Disables every write button on the page (after the API said the key is read-only). */
export function disableWrites(root: ParentNode = document): void {
  for (const button of root.querySelectorAll<HTMLButtonElement>('button.write')) applyReadOnly(button);
}

/**
 * Asks before a change, in a modal <dialog> (focus moves into it, Escape cancels, focus returns
 * to where it was). Resolves true when confirmed.
 */
export function confirmAction(question: string, detail: string, confirmLabel: string): Promise<boolean> {
  const previous = document.activeElement as HTMLElement | null;
  const cancel = h('button', { type: 'button', value: 'cancel' }, 'Keep it as it is');
  const confirm = h('button', { type: 'button', value: 'confirm', class: 'danger' }, confirmLabel);
  const dialog = h(
    'dialog',
    { class: 'confirm', 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-detail' },
    h('h2', { id: 'confirm-title' }, question),
    h('p', { id: 'confirm-detail' }, detail),
    h('div', { class: 'actions' }, cancel, confirm),
  );
  document.body.append(dialog);
  return new Promise((resolve) => {
    const close = (answer: boolean) => {
      dialog.close();
      dialog.remove();
      previous?.focus();
      resolve(answer);
    };
    cancel.addEventListener('click', () => close(false));
    confirm.addEventListener('click', () => close(true));
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      close(false);
    });
    dialog.showModal();
    cancel.focus();
  });
}

/** Says something to screen readers (and shows it) in the page's polite live region. */
export function announce(message: string): void {
  const region = document.getElementById('announcer');
  if (region) region.textContent = message;
}

/** JSON, indented, in a scrollable block with a label. */
export function jsonBlock(label: string, value: unknown): HTMLElement {
  return h('figure', { class: 'json' }, h('figcaption', {}, label), h('pre', { tabindex: '0', 'aria-label': label }, JSON.stringify(value, null, 2) ?? 'null'));
}

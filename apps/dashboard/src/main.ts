import { ApiProblem, AUTH_REQUIRED, call, READ_ONLY, session, type TaskType } from './api.js';
import { h, replaceChildren } from './dom.js';
import { startLiveStats, stopLiveStats } from './live-stats.js';
import { announce, disableWrites, problemBox } from './ui.js';
import { dlqView } from './views/dlq.js';
import { overviewView } from './views/overview.js';
import { taskView } from './views/task.js';
import { tasksView } from './views/tasks.js';
import { typesView } from './views/types.js';

/**
 * The dashboard's shell: the API key gate, the navigation, and a router on the address's hash
 * (#/overview, #/tasks?status=…, #/tasks/<id>, #/dlq, #/types), so the static files need no
 * server-side routes and the key never appears in an address.
 */
const main = document.getElementById('main') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
const keyStatus = document.getElementById('key-status') as HTMLElement;
const readOnlyNote = document.getElementById('read-only-note') as HTMLElement;

let types: TaskType[] | null = null;
/** True while the key form is on screen. */
let keyFormShown = false;
let stopView: () => void = () => undefined;

const LINKS = [
  ['overview', 'Overview'],
  ['tasks', 'Tasks'],
  ['dlq', 'DLQ'],
  ['types', 'Task types'],
] as const;

function renderNav(current: string): void {
  replaceChildren(
    nav,
    h(
      'ul',
      {},
      LINKS.map(([route, label]) => h('li', {}, h('a', { href: `#/${route}`, 'aria-current': route === current ? 'page' : undefined }, label))),
    ),
  );
}

function renderKeyStatus(): void {
  const key = session.key();
  replaceChildren(
    keyStatus,
    key
      ? [
          h('span', { class: 'muted small' }, `Key …${key.slice(-4)}${session.readOnly() ? ' (read-only)' : ''}`),
          h('button', { type: 'button', class: 'link', onclick: () => signOut('The key was forgotten. Enter a key to go on.') }, 'Forget key'),
        ]
      : null,
  );
  readOnlyNote.hidden = !session.readOnly();
}

/** The key form, with why it is shown: no key yet, or the API refused the one given. */
function showKeyForm(problem: ApiProblem | null, message?: string): void {
  stopLiveStats();
  stopView();
  stopView = () => undefined;
  keyFormShown = true;
  const refused = problem !== null && session.key() !== null;
  // The refused key is forgotten at once: the header must not show it as in use.
  if (refused) session.forget();
  types = null;
  nav.replaceChildren();
  renderKeyStatus();
  const input = h('input', { id: 'api-key', name: 'api-key', type: 'password', autocomplete: 'off', required: true, 'aria-describedby': 'api-key-help' });
  replaceChildren(
    main,
    h('h1', {}, 'Sign in with an API key'),
    refused
      ? h(
          'div',
          { class: 'problem', role: 'alert', id: 'key-refused' },
          h('p', { class: 'problem-title' }, 'The API refused this key'),
          h('p', {}, `${problem.detail.replace(/\.$/, '')} (${problem.status} ${problem.code ?? ''}). Check the key and enter it again.`),
        )
      : message
        ? h('p', { class: 'notice', role: 'status' }, message)
        : null,
    h(
      'form',
      {
        class: 'key-form',
        onsubmit: (event: Event) => {
          event.preventDefault();
          const key = input.value.trim();
          if (!key) return;
          session.setKey(key);
          void start();
        },
      },
      h('div', { class: 'field' }, h('label', { for: 'api-key' }, 'API key'), input),
      h(
        'p',
        { id: 'api-key-help', class: 'hint' },
        'One of the API_KEYS (or API_READ_ONLY_KEYS, to look without changing anything). ' +
          'It is kept in this tab only (sessionStorage) and sent as “Authorization: Bearer”.',
      ),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Open the dashboard')),
    ),
  );
  input.focus();
}

function signOut(message: string): void {
  session.forget();
  showKeyForm(null, message);
}

/** Checks the key (or that none is needed) by loading the task types, then shows the view. */
async function start(): Promise<void> {
  try {
    types = (await call<{ items: TaskType[] }>('GET', '/task-types')).items;
  } catch (error) {
    if (error instanceof ApiProblem && error.status === 401) return; // the AUTH_REQUIRED listener shows the form
    replaceChildren(main, h('h1', {}, 'The API cannot be used'), problemBox(error), h('button', { type: 'button', onclick: () => void start() }, 'Try again'));
    return;
  }
  keyFormShown = false;
  renderKeyStatus();
  startLiveStats();
  route();
}

function route(): void {
  if (types === null) return;
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, search = ''] = hash.split('?');
  const parts = path.split('/').filter(Boolean);
  const params = new URLSearchParams(search);
  const view = parts[0] ?? 'overview';
  stopView();
  renderNav(view);
  main.replaceChildren();
  switch (view) {
    case 'tasks':
      stopView = parts[1]
        ? taskView(main, parts[1])
        : tasksView(
            main,
            params,
            types.map((t) => t.type),
          );
      break;
    case 'dlq':
      stopView = dlqView(main, params);
      break;
    case 'types':
      stopView = typesView(main, types, params);
      break;
    default:
      stopView = overviewView(main);
  }
  const heading = main.querySelector('h1');
  document.title = `${heading?.textContent ?? 'Dashboard'} · Task service`;
  // Moving focus to the new heading tells screen readers the page changed, as a page load would.
  if (heading && document.activeElement !== document.body) {
    heading.tabIndex = -1;
    heading.focus();
  }
}

window.addEventListener(AUTH_REQUIRED, (event) => {
  // Calls sent side by side with a refused key come back refused together: the first one shows
  // the form (and forgets the key); the others must not draw it again without its message.
  if (keyFormShown && session.key() === null) return;
  showKeyForm((event as CustomEvent<ApiProblem>).detail);
});
window.addEventListener(READ_ONLY, () => {
  renderKeyStatus();
  disableWrites();
  announce('This API key is read-only: the buttons that change something are disabled.');
});
window.addEventListener('hashchange', route);
void start();

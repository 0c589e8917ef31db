import { ApiProblem, call, FINISHED, type Task, type TaskEvent } from '../api.js';
import { type Child, h, replaceChildren, setText } from '../dom.js';
import { formatDuration } from '../format.js';
import { poll } from '../poll.js';
import { announce, confirmAction, jsonBlock, problemBox, statusBadge, timeElement, writeButton } from '../ui.js';

const REFRESH_MS = 1500;
const CANCELLABLE = ['NEW', 'PENDING', 'RETRYING', 'IN_PROGRESS'];
const RETRYABLE = ['FAILED', 'CANCELLED'];

/**
 * One task: its fields, payload, result or error, progress, and its timeline (every status
 * change with time, attempt and worker), refreshed every second and a half so a task can be
 * watched moving; cancel and retry after a confirmation, with the API's problem when refused.
 */
export function taskView(container: HTMLElement, id: string): () => void {
  const heading = h('h1', {}, 'Task');
  const statusLine = h('p', { class: 'status-line', 'aria-live': 'polite', 'aria-atomic': 'true' });
  const actions = h('div', { class: 'actions' });
  const outcome = h('div', { class: 'error-slot' });
  const fields = h('dl', { class: 'fields' });
  const data = h('div', { class: 'grid-2' });
  const timeline = h('ol', { class: 'timeline', 'aria-label': 'Timeline, oldest first' });
  let lastStatus = '';
  let lastTask: Task | null = null;

  replaceChildren(
    container,
    h('p', {}, h('a', { href: '#/tasks' }, '← Tasks')),
    heading,
    statusLine,
    actions,
    outcome,
    h(
      'div',
      { class: 'grid-2' },
      h('section', { class: 'card', 'aria-labelledby': 'fields-title' }, h('h2', { id: 'fields-title' }, 'Fields'), fields),
      h('section', { class: 'card', 'aria-labelledby': 'timeline-title' }, h('h2', { id: 'timeline-title' }, 'Timeline'), timeline),
    ),
    data,
  );

  const act = async (kind: 'cancel' | 'retry') => {
    const task = lastTask;
    if (!task) return;
    const confirmed =
      kind === 'cancel'
        ? await confirmAction(
            `Cancel “${task.title}”?`,
            task.status === 'IN_PROGRESS'
              ? 'It is running: its worker is told to stop, and it ends CANCELLED.'
              : 'It will never start, even if its message is already in a queue.',
            'Cancel the task',
          )
        : await confirmAction(
            `Retry “${task.title}”?`,
            'It goes back to NEW with its attempts starting again; its timeline keeps the history.',
            'Retry the task',
          );
    if (!confirmed) return;
    try {
      if (kind === 'cancel') await call<Task>('DELETE', `/tasks/${id}`);
      else await call<Task>('POST', `/tasks/${id}/retry`);
      replaceChildren(
        outcome,
        h('p', { class: 'notice', role: 'status' }, kind === 'cancel' ? 'Cancellation asked; the timeline shows when it takes effect.' : 'Sent back to NEW.'),
      );
      announce(kind === 'cancel' ? 'Task cancellation sent' : 'Task retry sent');
      await load();
    } catch (e) {
      replaceChildren(outcome, problemBox(e, kind === 'cancel' ? 'The API refused to cancel' : 'The API refused to retry'));
    }
  };

  const renderActions = (task: Task) => {
    const key = `${task.status}`;
    if (actions.dataset.for === key) return;
    actions.dataset.for = key;
    replaceChildren(
      actions,
      CANCELLABLE.includes(task.status) ? writeButton('Cancel…', () => void act('cancel'), { class: 'write danger' }) : null,
      RETRYABLE.includes(task.status) ? writeButton('Retry…', () => void act('retry')) : null,
    );
  };

  const load = async () => {
    try {
      const [task, events] = await Promise.all([call<Task>('GET', `/tasks/${id}`), call<{ items: TaskEvent[] }>('GET', `/tasks/${id}/events`)]);
      lastTask = task;
      const now = Date.now();
      setText(heading, task.title);
      if (lastStatus !== task.status) {
        replaceChildren(statusLine, 'Status ', statusBadge(task.status));
        lastStatus = task.status;
      }
      renderActions(task);
      replaceChildren(fields, ...fieldList(task, now));
      // Rebuilt only when they change: the blocks scroll and take focus, which a rebuild would lose.
      const dataKey = JSON.stringify([task.payload, task.error, task.result]);
      if (data.dataset.key !== dataKey) {
        data.dataset.key = dataKey;
        replaceChildren(
          data,
          jsonBlock('Payload', task.payload),
          task.error !== null ? h('figure', { class: 'json error' }, h('figcaption', {}, 'Error'), h('pre', { tabindex: '0' }, task.error)) : null,
          task.result !== null && task.result !== undefined ? jsonBlock('Result', task.result) : null,
        );
      }
      replaceChildren(timeline, ...timelineItems(events.items, now));
    } catch (e) {
      if (e instanceof ApiProblem && e.status === 404) {
        replaceChildren(container, h('h1', {}, 'No such task'), problemBox(e), h('p', {}, h('a', { href: '#/tasks' }, 'Back to the tasks')));
        stop();
        return;
      }
      replaceChildren(outcome, problemBox(e, 'The task could not be loaded'));
      throw e;
    }
  };

  const stop = poll(load, REFRESH_MS);
  return stop;
}

function fieldList(task: Task, now: number): Child[] {
  const row = (name: string, value: Child) => [h('dt', {}, name), h('dd', {}, value)];
  return [
    row('Id', h('code', {}, task.id)),
    row('Type', task.type),
    row('Priority', task.priority),
    row('Attempts', `${task.attempts} of ${task.maxAttempts}`),
    row(
      'Progress',
      task.progress === null
        ? '—'
        : h('span', { class: 'progress' }, h('progress', { max: '100', value: String(task.progress), 'aria-label': 'Progress' }), ` ${task.progress} %`),
    ),
    task.description ? row('Description', task.description) : null,
    row('Correlation id', h('code', {}, task.correlationId)),
    row('Created', timeElement(task.createdAt, now)),
    row('Updated', timeElement(task.updatedAt, now)),
    row('Started', timeElement(task.startedAt, now)),
    row('Finished', FINISHED.includes(task.status) ? timeElement(task.completedAt, now) : '—'),
    task.runAt ? row('Runs at', timeElement(task.runAt, now)) : null,
    task.nextRetryAt ? row('Next retry', timeElement(task.nextRetryAt, now)) : null,
  ].flat();
}

/** Each event as a point on a vertical line: status, when, how long after the one before, attempt, worker, where. */
function timelineItems(events: TaskEvent[], now: number): HTMLElement[] {
  if (events.length === 0) return [h('li', { class: 'muted' }, 'No event yet.')];
  return events.map((event, i) => {
    const previous = events[i - 1];
    const gap = previous ? (new Date(event.at).getTime() - new Date(previous.at).getTime()) / 1000 : null;
    return h(
      'li',
      { class: `event status-${event.status.toLowerCase()}` },
      h(
        'div',
        { class: 'event-head' },
        statusBadge(event.status),
        ' ',
        timeElement(event.at, now),
        gap !== null ? h('span', { class: 'muted small' }, ` +${formatDuration(gap)}`) : null,
      ),
      h(
        'div',
        { class: 'event-body small' },
        `Attempt ${event.attempt}`,
        event.worker ? [' · worker ', h('code', {}, event.worker)] : null,
        event.detail ? [' · ', event.detail] : null,
      ),
      event.error ? h('div', { class: 'event-error small' }, event.error) : null,
    );
  });
}

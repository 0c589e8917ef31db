import { call, PRIORITIES, type Task, type TaskType } from '../api.js';
import { type Child, h, replaceChildren } from '../dom.js';
import { constraintHint, type PayloadField, payloadFields, payloadFromInputs } from '../schema-form.js';
import { announce, applyReadOnly, problemBox } from '../ui.js';

/**
 * Task types: each registered type with its description, its per-type policy when the API serves
 * one, its payload schema, and a form built from that schema that creates a task of the type.
 */
export function typesView(container: HTMLElement, types: TaskType[], params: URLSearchParams): () => void {
  const only = params.get('type');
  const shown = only ? types.filter((t) => t.type === only) : types;
  replaceChildren(
    container,
    h('h1', {}, 'Task types'),
    h('p', { class: 'lede' }, `${types.length} registered type${types.length === 1 ? '' : 's'}. Each form creates one task through POST /api/v1/tasks.`),
    h(
      'nav',
      { class: 'chips', 'aria-label': 'Show one type' },
      h('a', { href: '#/types', 'aria-current': only ? undefined : 'true' }, 'All'),
      types.map((t) => h('a', { href: `#/types?type=${encodeURIComponent(t.type)}`, 'aria-current': t.type === only ? 'true' : undefined }, t.type)),
    ),
    shown.map((t) => typeCard(t)),
  );
  return () => undefined;
}

function typeCard(type: TaskType): HTMLElement {
  const slug = type.type.replace(/[^a-zA-Z0-9_-]/g, '-');
  const titleId = `type-${slug}`;
  return h(
    'section',
    { class: 'card type', 'aria-labelledby': titleId, 'data-type': type.type },
    h('h2', { id: titleId }, h('code', {}, type.type)),
    h('p', {}, type.description),
    policyBlock(type.policy),
    h('details', {}, h('summary', {}, 'Payload schema'), h('pre', { tabindex: '0' }, JSON.stringify(type.payloadSchema, null, 2))),
    createForm(type, slug),
  );
}

/** The type's policy as the API gives it (GET /task-types grows a `policy` object per type). */
function policyBlock(policy: TaskType['policy']): Child {
  if (!policy || typeof policy !== 'object') return h('p', { class: 'muted small' }, 'No per-type policy: the service defaults apply.');
  return h(
    'div',
    { class: 'policy' },
    h('h3', {}, 'Policy'),
    h(
      'dl',
      { class: 'fields' },
      Object.entries(policy).map(([name, value]) => [
        h('dt', {}, name),
        h('dd', {}, typeof value === 'object' && value !== null ? h('code', {}, JSON.stringify(value)) : String(value)),
      ]),
    ),
  );
}

function createForm(type: TaskType, slug: string): HTMLElement {
  const fields = payloadFields(type.payloadSchema);
  const inputs = new Map<string, HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>();
  const id = (name: string) => `new-${slug}-${name}`;
  const outcome = h('div', { class: 'error-slot' });

  const title = h('input', { id: id('title'), name: 'title', required: true, maxlength: '200', value: `Sample ${type.type}` });
  const priority = h(
    'select',
    { id: id('priority'), name: 'priority' },
    PRIORITIES.map((p) => h('option', { value: p, selected: p === 'MEDIUM' }, p)),
  );
  const maxAttempts = h('input', {
    id: id('maxAttempts'),
    name: 'maxAttempts',
    type: 'number',
    min: '1',
    max: '20',
    inputmode: 'numeric',
    placeholder: 'default',
  });
  const submit = h('button', { type: 'submit', class: 'write primary' }, `Create a ${type.type} task`);
  applyReadOnly(submit);

  const payloadInputs = fields.map((field) => {
    const input = payloadInput(field, id(`payload-${field.name}`));
    inputs.set(field.name, input);
    const hint = constraintHint(field.schema);
    const hintId = `${id(`payload-${field.name}`)}-hint`;
    if (hint) input.setAttribute('aria-describedby', hintId);
    return h(
      'div',
      { class: 'field' },
      h('label', { for: input.id }, field.name, field.required ? h('span', { class: 'required', 'aria-hidden': 'true' }, ' *') : null),
      input,
      hint ? h('span', { class: 'hint', id: hintId }, hint) : null,
    );
  });

  const onSubmit = async (event: Event) => {
    event.preventDefault();
    const values: Record<string, string> = {};
    for (const [name, input] of inputs) values[name] = input.value;
    const { payload, errors } = payloadFromInputs(fields, values);
    if (errors.length > 0) {
      replaceChildren(
        outcome,
        h(
          'div',
          { class: 'problem', role: 'alert' },
          h('p', { class: 'problem-title' }, 'Check the payload'),
          h(
            'ul',
            {},
            errors.map((e) => h('li', {}, h('code', {}, e.field), ': ', e.message)),
          ),
        ),
      );
      return;
    }
    const body: Record<string, unknown> = { type: type.type, title: title.value, priority: priority.value, payload };
    if (maxAttempts.value.trim() !== '') body.maxAttempts = Number(maxAttempts.value);
    submit.disabled = true;
    try {
      const task = await call<Task>('POST', '/tasks', body);
      replaceChildren(
        outcome,
        h(
          'p',
          { class: 'notice', role: 'status' },
          'Created ',
          h('a', { href: `#/tasks/${task.id}`, class: 'created-task' }, task.title),
          ` (${task.status}).`,
        ),
      );
      announce(`Task ${task.title} created`);
    } catch (e) {
      replaceChildren(outcome, problemBox(e, 'The API refused the task'));
    } finally {
      submit.disabled = false;
      applyReadOnly(submit);
    }
  };

  return h(
    'form',
    { class: 'create', 'aria-label': `Create a ${type.type} task`, novalidate: true, onsubmit: (e: Event) => void onSubmit(e) },
    h('h3', {}, 'Create a task'),
    h(
      'div',
      { class: 'form-grid' },
      h('div', { class: 'field' }, h('label', { for: title.id }, 'Title'), title),
      h('div', { class: 'field' }, h('label', { for: priority.id }, 'Priority'), priority),
      h('div', { class: 'field' }, h('label', { for: maxAttempts.id }, 'Max attempts'), maxAttempts),
      payloadInputs,
    ),
    fields.length === 0 ? h('p', { class: 'muted small' }, 'This type takes no payload.') : null,
    h('div', { class: 'actions' }, submit),
    outcome,
  );
}

function payloadInput(field: PayloadField, id: string): HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement {
  const { schema } = field;
  switch (field.kind) {
    case 'integer':
    case 'number':
      return h('input', {
        id,
        name: field.name,
        type: 'number',
        inputmode: field.kind === 'integer' ? 'numeric' : 'decimal',
        step: field.kind === 'integer' ? '1' : 'any',
        min: schema.minimum,
        max: schema.maximum,
        required: field.required,
      });
    case 'boolean':
      return h(
        'select',
        { id, name: field.name },
        h('option', { value: '' }, field.required ? 'Choose…' : '(not set)'),
        h('option', { value: 'true' }, 'true'),
        h('option', { value: 'false' }, 'false'),
      );
    case 'enum':
      return h(
        'select',
        { id, name: field.name },
        field.required ? null : h('option', { value: '' }, '(not set)'),
        field.options.map((o) => h('option', { value: o }, o)),
      );
    case 'string':
      return h('input', { id, name: field.name, type: 'text', maxlength: schema.maxLength, required: field.required });
    case 'json':
      return h('textarea', { id, name: field.name, rows: '3', spellcheck: 'false', placeholder: 'JSON', required: field.required });
  }
}

import { BUILTIN_TASK_HANDLERS, FailHandler, FailPayload, HttpRequestHandler, NoopHandler, NoopPayload, SleepHandler, SleepPayload } from '../builtin/index.js';
import { InvalidPayloadError, PermanentTaskError } from './task-errors.js';
import { TaskHandler } from './task-handler.decorator.js';
import { type TaskHandlerClass, TaskRegistry, TaskRegistryError } from './task-registry.js';

@TaskHandler({ type: 'noop', payload: NoopPayload, description: 'A second handler for noop.' })
class SecondNoopHandler {
  async run(): Promise<unknown> {
    return {};
  }
}

@TaskHandler({ type: 'email.send', payload: NoopPayload, description: 'A policy with a bad delay.', retry: { backoff: 'fixed', initialDelaySeconds: 0 } })
class BadPolicyHandler {
  async run(): Promise<unknown> {
    return {};
  }
}

@TaskHandler({
  type: 'report.build',
  payload: NoopPayload,
  description: 'A full policy.',
  maxAttempts: 2,
  retry: { backoff: 'exponential', initialDelaySeconds: 1, maxDelaySeconds: 4 },
  timeoutSeconds: 10,
  concurrency: 2,
})
class PolicyHandler {
  async run(): Promise<unknown> {
    return {};
  }
}

@TaskHandler({
  type: 'sms.send',
  payload: NoopPayload,
  description: 'A fixed backoff of 45 s, a tie between 40 and 50.',
  retry: { backoff: 'fixed', initialDelaySeconds: 45 },
})
class FixedHandler {
  async run(): Promise<unknown> {
    return {};
  }
}

class UndecoratedHandler {
  async run(): Promise<unknown> {
    return {};
  }
}

@TaskHandler({ type: 'Send Email', payload: NoopPayload, description: 'A type name with capitals and a space.' })
class BadlyNamedHandler {
  async run(): Promise<unknown> {
    return {};
  }
}

@TaskHandler({
  type: 'report.build',
  payload: NoopPayload,
  description: 'A type with a queue group and an output.',
  queueGroup: 'reports',
  output: 'reports.done',
})
class ReportHandler {
  async run(): Promise<unknown> {
    return {};
  }
}

@TaskHandler({ type: 'report.mail', payload: NoopPayload, description: 'A second type in the same group.', queueGroup: 'reports' })
class ReportMailHandler {
  async run(): Promise<unknown> {
    return {};
  }
}

@TaskHandler({ type: 'bad.group', payload: NoopPayload, description: 'A queue group with a dot.', queueGroup: 're.ports' })
class DottedGroupHandler {
  async run(): Promise<unknown> {
    return {};
  }
}

@TaskHandler({ type: 'bad.default-group', payload: NoopPayload, description: 'The default group named.', queueGroup: 'tasks' })
class DefaultGroupHandler {
  async run(): Promise<unknown> {
    return {};
  }
}

@TaskHandler({ type: 'bad.output', payload: NoopPayload, description: 'A wildcard in an output.', output: 'billing.*' })
class WildcardOutputHandler {
  async run(): Promise<unknown> {
    return {};
  }
}

@TaskHandler({ type: 'rows.batch', payload: NoopPayload, description: 'A batch type.', batch: { size: 10, maxWaitMs: 50 } })
class RowsBatchHandler {
  async runBatch(items: readonly unknown[]): Promise<{ ok: true; result: unknown }[]> {
    return items.map(() => ({ ok: true, result: {} }));
  }
}

@TaskHandler({ type: 'rows.no-run-batch', payload: NoopPayload, description: 'Declares batch, implements run only.', batch: { size: 10, maxWaitMs: 50 } })
class BatchWithoutRunBatchHandler {
  async run(): Promise<unknown> {
    return {};
  }
}

@TaskHandler({ type: 'rows.undeclared', payload: NoopPayload, description: 'Implements runBatch without declaring batch.' })
class UndeclaredBatchHandler {
  async run(): Promise<unknown> {
    return {};
  }
  async runBatch(): Promise<unknown[]> {
    return [];
  }
}

@TaskHandler({ type: 'rows.nothing', payload: NoopPayload, description: 'Neither run nor runBatch.' })
class MethodlessHandler {}

describe('TaskRegistry batch types', () => {
  it('registers a batch type with its batch settings in its policy', () => {
    const sut = new TaskRegistry([RowsBatchHandler]);

    expect(sut.policy('rows.batch', { maxAttempts: 1, retryDelaysSeconds: [1], timeoutSeconds: 10 })?.batch).toEqual({ size: 10, maxWaitMs: 50 });
  });

  it.each([
    [BatchWithoutRunBatchHandler, "Task type 'rows.no-run-batch' of BatchWithoutRunBatchHandler declares batch but has no runBatch(items, context) method"],
    [UndeclaredBatchHandler, "Task type 'rows.undeclared' of UndeclaredBatchHandler has a runBatch method but declares no batch"],
    [MethodlessHandler, "Task type 'rows.nothing' of MethodlessHandler has no run(payload, context) method"],
  ])('refuses %p at boot with a clear error', (handler, message) => {
    const error = captureError(() => new TaskRegistry([handler as TaskHandlerClass]));

    expect(error).toBeInstanceOf(TaskRegistryError);
    expect(error).toHaveProperty('message', expect.stringContaining(message));
  });
});

describe('TaskRegistry routing', () => {
  const sut = new TaskRegistry([...BUILTIN_TASK_HANDLERS, ReportHandler, ReportMailHandler]);

  it('lists the queue groups the types declare, once each, without the default group', () => {
    expect(sut.queueGroups()).toEqual(['reports']);
  });

  it('routes a type by its group and output, and the others by TASK_EVENTS', () => {
    expect(sut.routingOf('report.build', false)).toEqual({ queueGroup: 'reports', eventRoutingKey: 'reports.done' });
    expect(sut.routingOf('report.mail', false)).toEqual({ queueGroup: 'reports', eventRoutingKey: null });
    expect(sut.routingOf('report.mail', true)).toEqual({ queueGroup: 'reports', eventRoutingKey: 'task.report.mail' });
    expect(sut.routingOf('noop', false)).toEqual({ queueGroup: null, eventRoutingKey: null });
  });

  it.each([
    [DottedGroupHandler, "Queue group 're.ports' of DottedGroupHandler"],
    [DefaultGroupHandler, "Queue group 'tasks' of DefaultGroupHandler"],
    [WildcardOutputHandler, "Output 'billing.*' of WildcardOutputHandler"],
  ])('refuses %p at boot', (handler, message) => {
    expect(() => new TaskRegistry([handler])).toThrow(message);
  });
});

const validPayloads: [string, unknown][] = [
  ['noop', {}],
  ['sleep', { ms: 0 }],
  ['sleep', { ms: 600_000 }],
  ['fail', {}],
  ['fail', { times: 2, permanent: true, message: 'boom' }],
  ['http.request', { url: 'http://localhost:8080/hook', method: 'GET' }],
  ['http.request', { url: 'https://example.com/api', method: 'POST', headers: { 'x-a': 'b' }, body: { a: 1 }, timeoutMs: 1000 }],
];

/** type, payload, and the fields its errors name. */
const invalidPayloads: [string, unknown, string[]][] = [
  ['sleep', { ms: -1 }, ['payload.ms']],
  ['sleep', { ms: 'x' }, ['payload.ms']],
  ['sleep', { ms: 1.5 }, ['payload.ms']],
  ['sleep', { ms: 600_001 }, ['payload.ms']],
  ['sleep', {}, ['payload.ms']],
  ['noop', { extra: 1 }, ['payload.extra']],
  ['fail', { times: 21 }, ['payload.times']],
  ['fail', { times: -1 }, ['payload.times']],
  ['fail', { permanent: 'yes' }, ['payload.permanent']],
  ['fail', { message: 42 }, ['payload.message']],
  ['http.request', { method: 'GET' }, ['payload.url']],
  ['http.request', { url: 'ftp://files.example.com/a', method: 'GET' }, ['payload.url']],
  ['http.request', { url: 'http://localhost', method: 'FETCH' }, ['payload.method']],
  ['http.request', { url: 'http://localhost', method: 'GET', timeoutMs: 0 }, ['payload.timeoutMs']],
  ['http.request', {}, ['payload.url', 'payload.method']],
  ['http.request', { url: 'http://localhost', method: 'GET', headers: { a: 1, b: { c: 2 } } }, ['payload.headers']],
];

const fieldsOf = (errors: { field: string }[]) => [...new Set(errors.map((e) => e.field))];

describe(TaskRegistry.name, () => {
  let sut: TaskRegistry;

  beforeEach(() => {
    sut = new TaskRegistry(BUILTIN_TASK_HANDLERS);
  });

  describe('built from BUILTIN_TASK_HANDLERS', () => {
    it('names the four built-in types, sorted', () => {
      expect(sut.names()).toEqual(['fail', 'http.request', 'noop', 'sleep']);
    });

    it('maps each type to its handler and payload class', () => {
      expect(sut.list().map(({ type, handler }) => [type, handler])).toEqual([
        ['fail', FailHandler],
        ['http.request', HttpRequestHandler],
        ['noop', NoopHandler],
        ['sleep', SleepHandler],
      ]);
      expect(sut.get('sleep')?.payload).toBe(SleepPayload);
      expect(sut.get('fail')?.payload).toBe(FailPayload);
    });

    it('knows the built-in types and no others', () => {
      expect(sut.has('noop')).toBe(true);
      expect(sut.has('email.send')).toBe(false);
      expect(sut.get('email.send')).toBeUndefined();
    });
  });

  describe('checks at boot', () => {
    it('throws TaskRegistryError naming both classes of a type with two handlers', () => {
      const error = captureError(() => new TaskRegistry([NoopHandler, SecondNoopHandler]));

      expect(error).toBeInstanceOf(TaskRegistryError);
      expect(error).toHaveProperty('message', "Task type 'noop' has two handlers: NoopHandler and SecondNoopHandler");
    });

    it('throws TaskRegistryError for a class without @TaskHandler', () => {
      const error = captureError(() => new TaskRegistry([NoopHandler, UndecoratedHandler]));

      expect(error).toBeInstanceOf(TaskRegistryError);
      expect(error).toHaveProperty('message', 'UndecoratedHandler is listed as a task handler but has no @TaskHandler decorator');
    });

    it('throws TaskRegistryError for a type name that is not lowercase letters, digits, dots, dashes or underscores', () => {
      const error = captureError(() => new TaskRegistry([BadlyNamedHandler]));

      expect(error).toBeInstanceOf(TaskRegistryError);
      expect(error).toHaveProperty('message', expect.stringContaining("Task type 'Send Email' of BadlyNamedHandler"));
    });

    it('throws TaskRegistryError naming the type, the class and the field of a bad policy', () => {
      const error = captureError(() => new TaskRegistry([NoopHandler, BadPolicyHandler]));
      expect(error).toBeInstanceOf(TaskRegistryError);
      expect(error).toHaveProperty(
        'message',
        "Task type 'email.send' of BadPolicyHandler has an invalid policy: retry.initialDelaySeconds must be a whole number from 1 to 86400 (got 0)",
      );
    });

    it('throws TaskRegistryError for an empty list', () => {
      const error = captureError(() => new TaskRegistry([]));

      expect(error).toBeInstanceOf(TaskRegistryError);
      expect(error).toHaveProperty('message', 'No task handlers are registered');
    });
  });

  describe('policies', () => {
    const defaults = { maxAttempts: 4, retryDelaysSeconds: [5, 30, 120], timeoutSeconds: 300 };

    it("resolves a type's own policy over the global settings", () => {
      const sut = new TaskRegistry([NoopHandler, PolicyHandler]);

      expect(sut.policy('report.build', defaults)).toEqual({
        maxAttempts: 2,
        retry: { backoff: 'exponential', initialDelaySeconds: 1, maxDelaySeconds: 4 },
        timeoutSeconds: 10,
        concurrency: 2,
        batch: null,
      });
      expect(sut.policy('noop', defaults)).toEqual({
        maxAttempts: 4,
        retry: { backoff: 'ladder', delaysSeconds: [5, 30, 120] },
        timeoutSeconds: 300,
        concurrency: null,
        batch: null,
      });
      expect(sut.policy('email.send', defaults)).toBeUndefined();
    });

    it('lists the delay steps the types need beside the ladder, each once, rounded onto the grid', () => {
      const sut = new TaskRegistry([NoopHandler, PolicyHandler, FixedHandler]);

      expect(sut.retryDelaySteps()).toEqual([1, 2, 4, 50]);
    });

    it('needs no step of its own when no type has a retry policy', () => {
      expect(new TaskRegistry(BUILTIN_TASK_HANDLERS).retryDelaySteps()).toEqual([]);
    });
  });

  describe('validatePayload', () => {
    it.each(validPayloads)('accepts a %s payload %j', (type, payload) => {
      expect(sut.validatePayload(type, payload)).toEqual([]);
    });

    it.each(invalidPayloads)('refuses a %s payload %j, naming %j', (type, payload, fields) => {
      const errors = sut.validatePayload(type, payload);

      expect(fieldsOf(errors)).toEqual(fields);
      for (const error of errors) expect(error.message).not.toBe('');
    });

    it('refuses an unknown field as one that should not exist', () => {
      expect(sut.validatePayload('noop', { extra: 1 })).toEqual([{ field: 'payload.extra', message: 'property extra should not exist' }]);
    });

    it.each([null, [], 'text', 42])('refuses %j as not a JSON object', (payload) => {
      expect(sut.validatePayload('noop', payload)).toEqual([{ field: 'payload', message: 'must be a JSON object' }]);
    });

    it('answers an empty payload the same each time, valid or not, with the given prefix', () => {
      const answers = ['payload', 'tasks[0].payload', 'tasks[1].payload'].map((prefix) => [
        sut.validatePayload('noop', {}, prefix),
        fieldsOf(sut.validatePayload('sleep', {}, prefix)),
      ]);

      expect(answers).toEqual([
        [[], ['payload.ms']],
        [[], ['tasks[0].payload.ms']],
        [[], ['tasks[1].payload.ms']],
      ]);
    });

    it('prefixes the fields with the given prefix', () => {
      expect(fieldsOf(sut.validatePayload('sleep', { ms: -1 }, 'tasks[2].payload'))).toEqual(['tasks[2].payload.ms']);
    });

    it('gives a type error listing the known types for an unknown type', () => {
      expect(sut.validatePayload('email.send', {})).toEqual([
        { field: 'type', message: "unknown task type 'email.send'; known types: fail, http.request, noop, sleep" },
      ]);
    });
  });

  describe('assertPayload', () => {
    it('accepts a valid payload', () => {
      expect(() => sut.assertPayload('sleep', { ms: 10 })).not.toThrow();
    });

    it('throws InvalidPayloadError, a PermanentTaskError, naming the bad field', () => {
      const error = captureError(() => sut.assertPayload('sleep', { ms: -1 }));

      expect(error).toBeInstanceOf(InvalidPayloadError);
      expect(error).toBeInstanceOf(PermanentTaskError);
      expect(error).toMatchObject({ code: 'TASK_INVALID_PAYLOAD', message: expect.stringContaining('payload.ms') });
    });

    it('throws InvalidPayloadError for an unknown type', () => {
      expect(() => sut.assertPayload('email.send', {})).toThrow(InvalidPayloadError);
    });
  });
});

function captureError(action: () => void): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the action to throw');
}

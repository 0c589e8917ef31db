import { formatPretty } from './pretty-format.js';

const record = {
  level: 'info',
  time: '2026-11-26T01:02:03.456Z',
  app: 'worker',
  pid: 42,
  context: 'TaskExecutor',
  msg: 'task COMPLETED',
  status: 'COMPLETED',
  correlationId: 'req-1',
  attempt: 2,
  type: 'noop',
  taskId: 't-1',
};

describe(formatPretty.name, () => {
  it('writes time, level, context and message, then the task fields first, then the rest', () => {
    expect(formatPretty(record, false)).toBe(
      '01:02:03.456 INFO  [TaskExecutor] task COMPLETED taskId=t-1 type=noop attempt=2 correlationId=req-1 status=COMPLETED\n',
    );
  });

  it('quotes a value with spaces and writes objects as JSON', () => {
    const sut = formatPretty({ level: 'warn', time: record.time, msg: 'm', note: 'two words', ids: ['a', 'b'] }, false);

    expect(sut).toBe('01:02:03.456 WARN  m note="two words" ids=["a","b"]\n');
  });

  it("adds an error's message when the message does not say it, and its stack indented below", () => {
    const sut = formatPretty(
      { level: 'error', time: record.time, msg: 'write failed', err: { message: 'boom', code: 'E1', stack: 'Error: boom\n    at x' } },
      false,
    );

    expect(sut).toBe('01:02:03.456 ERROR write failed code=E1 error=boom\n    Error: boom\n        at x\n');
  });

  it('colours the level and the context only when asked', () => {
    expect(formatPretty(record, true)).toContain('\x1b[32mINFO ');
    expect(formatPretty(record, true)).toContain('\x1b[36m[TaskExecutor]');
    expect(formatPretty(record, false)).not.toContain('\x1b[');
  });
});

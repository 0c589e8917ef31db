import { Writable } from 'node:stream';
import { AppLogger, type AppLoggerOptions } from './app-logger.js';
import { withCorrelationId, withLogContext } from './correlation.js';
import { REDACTED } from './redaction.js';

/** An AppLogger writing into memory, and the lines it wrote, parsed. */
function loggerUnderTest(options: Partial<AppLoggerOptions> = {}) {
  const chunks: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const sut = new AppLogger({ level: 'info', app: 'worker', out, ...options });
  const text = () => chunks.join('');
  const lines = () =>
    text()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { sut, text, lines };
}

const API_KEY = 'test-api-key-0123456789abcdef';

describe(AppLogger.name, () => {
  it('writes one JSON object per line with time, level name, app, pid, context and message', () => {
    const { sut, lines } = loggerUnderTest();

    sut.log('api listening on port 3000', 'Bootstrap');

    expect(lines()).toEqual([
      {
        level: 'info',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        app: 'worker',
        pid: process.pid,
        context: 'Bootstrap',
        msg: 'api listening on port 3000',
      },
    ]);
  });

  it('keeps a line under LOG_LEVEL out and lets one at or above it through', () => {
    const { sut, lines } = loggerUnderTest({ level: 'warn' });

    sut.log('an access line', 'Access');
    sut.debug('a task line', 'TaskExecutor');
    sut.warn('a warning', 'Amqp');
    sut.error('an error', undefined, 'Amqp');

    expect(lines().map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'a warning'],
      ['error', 'an error'],
    ]);
  });

  it("writes Nest's verbose at debug and demotes its start-up chatter to debug", () => {
    const { sut, lines } = loggerUnderTest({ level: 'debug' });

    sut.verbose('details', 'Somewhere');
    sut.log('TasksModule dependencies initialized', 'InstanceLoader');

    expect(lines().map((l) => l.level)).toEqual(['debug', 'debug']);
    const quiet = loggerUnderTest();
    quiet.sut.log('TasksModule dependencies initialized', 'InstanceLoader');
    expect(quiet.lines()).toEqual([]);
  });

  it('adds the fields a call passes after its message', () => {
    const { sut, lines } = loggerUnderTest();

    sut.log('published', { taskId: 't-1', type: 'noop', attempt: 1, correlationId: 'req-1' }, 'OutboxRelay');

    expect(lines()[0]).toMatchObject({ msg: 'published', taskId: 't-1', type: 'noop', attempt: 1, correlationId: 'req-1', context: 'OutboxRelay' });
  });

  it('adds the fields of the task or request being handled, and a call’s own fields win', async () => {
    const { sut, lines } = loggerUnderTest();

    await withLogContext({ correlationId: 'req-7', taskId: 't-7', type: 'sleep', attempt: 1 }, async () => {
      await Promise.resolve();
      await withLogContext({ attempt: 2 }, async () => sut.log('running', 'TaskExecutor'));
      sut.log('explicit', { type: 'other' }, 'TaskExecutor');
    });
    withCorrelationId('req-8', () => sut.log('a request', 'Tasks'));
    sut.log('outside', 'Tasks');

    expect(lines().map(({ msg, correlationId, taskId, type, attempt }) => ({ msg, correlationId, taskId, type, attempt }))).toEqual([
      { msg: 'running', correlationId: 'req-7', taskId: 't-7', type: 'sleep', attempt: 2 },
      { msg: 'explicit', correlationId: 'req-7', taskId: 't-7', type: 'other', attempt: 1 },
      { msg: 'a request', correlationId: 'req-8' },
      { msg: 'outside' },
    ]);
  });

  it("writes an error's type, message and code, and its stack only at debug", () => {
    const error = Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
    const info = loggerUnderTest();
    const debug = loggerUnderTest({ level: 'debug' });

    info.sut.warn('cannot reach PostgreSQL', error, 'Database');
    debug.sut.warn('cannot reach PostgreSQL', error, 'Database');

    expect(info.lines()[0].err).toEqual({ type: 'Error', message: 'connection refused', code: 'ECONNREFUSED' });
    expect(debug.lines()[0].err).toEqual({ type: 'Error', message: 'connection refused', code: 'ECONNREFUSED', stack: expect.stringContaining('\n    at ') });
  });

  it("takes the stack Nest's error(message, stack, context) passes, at debug only", () => {
    const stack = new Error('boom').stack!;
    const info = loggerUnderTest();
    const debug = loggerUnderTest({ level: 'debug' });

    info.sut.error('unexpected error', stack, 'ExceptionsHandler');
    debug.sut.error('unexpected error', stack, 'ExceptionsHandler');

    expect(info.lines()[0]).toMatchObject({ msg: 'unexpected error', context: 'ExceptionsHandler' });
    expect(info.lines()[0].err).toBeUndefined();
    expect(debug.lines()[0]).toMatchObject({ context: 'ExceptionsHandler', err: { stack } });
  });

  it('takes an Error as the message, and an err field given as an Error', () => {
    const { sut, lines } = loggerUnderTest();

    sut.error(new TypeError('bad'), 'Somewhere');
    sut.warn('write failed', { err: new RangeError('too big'), taskId: 't-1' }, 'TaskExecutor');

    expect(lines()).toMatchObject([
      { msg: 'bad', err: { type: 'TypeError', message: 'bad' } },
      { msg: 'write failed', taskId: 't-1', err: { type: 'RangeError', message: 'too big' } },
    ]);
  });

  it('never writes a URL password, an Authorization value or an API key, in the message, a field or an error', () => {
    const { sut, text } = loggerUnderTest({ level: 'debug', secrets: [API_KEY] });
    const error = new Error('connect to amqp://tasks:rabbit-pw@rabbit:5672/vh failed');

    sut.warn('cannot reach postgres://app:pg-pw@db:5432/tasks', error, 'Database');
    sut.log(`request with key ${API_KEY}`, { target: 'amqp://tasks:rabbit-pw@rabbit:5672/vh' }, 'Access');
    sut.debug('http.request payload', { payload: { url: 'https://example.com', headers: { Authorization: 'Bearer abcdefghijklmnop', Cookie: 'sid=1' } } });
    sut.debug('request headers', { headers: { authorization: `Bearer ${API_KEY}`, 'x-api-key': API_KEY, accept: 'application/json' } });
    sut.debug('a password field', { password: 'hunter2hunter2', user: { password: 'nested-pw' } });
    sut.debug('other spellings', { Authorization: 'Basic other-spelling-cred', deep: { headers: { COOKIE: 'deep-cookie' } } });

    for (const secret of ['rabbit-pw', 'pg-pw', API_KEY, 'abcdefghijklmnop', 'sid=1', 'hunter2hunter2', 'nested-pw', 'other-spelling-cred', 'deep-cookie'])
      expect(text()).not.toContain(secret);
    expect(text()).toContain(`postgres://app:${REDACTED}@db:5432/tasks`);
    expect(text()).toContain('"accept":"application/json"');
  });

  it('writes pretty lines with LOG_FORMAT=pretty, without colour unless asked', () => {
    const { sut, text } = loggerUnderTest({ format: 'pretty', colours: false });

    sut.log('api listening on port 3000', { port: 3000 }, 'Bootstrap');

    expect(text()).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}\[Bootstrap\] api listening on port 3000 port=3000\n$/);
  });

  it('says whether a level is on', () => {
    const { sut } = loggerUnderTest({ level: 'info' });

    expect([sut.isLevelEnabled('debug'), sut.isLevelEnabled('info'), sut.isLevelEnabled('error')]).toEqual([false, true, true]);
  });
});

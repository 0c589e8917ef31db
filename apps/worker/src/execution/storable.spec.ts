import { serializeResult, storableText } from './storable.js';

describe('serializeResult', () => {
  const max = 1_048_576;

  it('returns the JSON of a plain result, and null for undefined', () => {
    expect(serializeResult({ a: [1, 'two', { ok: true }] }, max)).toEqual({ ok: true, json: '{"a":[1,"two",{"ok":true}]}' });
    expect(serializeResult(undefined, max)).toEqual({ ok: true, json: 'null' });
    expect(serializeResult(() => 1, max)).toEqual({ ok: true, json: 'null' });
  });

  it('keeps a well-formed surrogate pair (an emoji)', () => {
    expect(serializeResult({ mood: '\u{1F600}' }, max)).toEqual({ ok: true, json: '{"mood":"\u{1F600}"}' });
  });

  it.each([
    ['a NUL in a string', { text: 'a\u0000b' }, 'a string in the result contains a NUL character'],
    ['a NUL in a nested key', { outer: { ['k\u0000']: 1 } }, 'a key of the result contains a NUL character'],
    ['a lone high surrogate', ['ok', 'x\uD800'], 'a string in the result contains a lone UTF-16 surrogate'],
    ['a lone low surrogate in a key', { ['\uDC00']: 1 }, 'a key of the result contains a lone UTF-16 surrogate'],
    ['a BigInt', { n: 10n }, 'the result cannot be written as JSON: '],
  ])('refuses %s', (_, result, reason) => {
    const sut = serializeResult(result, max);

    expect(sut.ok).toBe(false);
    expect(sut.ok === false && sut.reason).toContain(reason);
  });

  it('refuses a cycle', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;

    const sut = serializeResult(cyclic, max);

    expect(sut).toEqual({ ok: false, reason: expect.stringContaining('the result cannot be written as JSON') });
  });

  it('refuses a result over the limit, counting UTF-8 bytes', () => {
    expect(serializeResult('é'.repeat(5), 12)).toEqual({ ok: true, json: '"ééééé"' });
    expect(serializeResult('é'.repeat(6), 12)).toEqual({ ok: false, reason: 'the result is 14 bytes of JSON, over TASK_RESULT_MAX_BYTES (12)' });
  });
});

describe('storableText', () => {
  it('replaces NUL characters and lone surrogates, and keeps pairs', () => {
    expect(storableText('a\u0000b\uD800c\uDC00d\u{1F600}')).toBe('a\uFFFDb\uFFFDc\uFFFDd\u{1F600}');
  });

  it('cuts long text without splitting a surrogate pair', () => {
    expect(storableText('abc', 3)).toBe('abc');
    expect(storableText('abcd', 3)).toBe('abc…');
    expect(storableText('ab\u{1F600}', 3)).toBe('ab…');
  });
});

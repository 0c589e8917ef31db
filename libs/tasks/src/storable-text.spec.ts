import { unstorableIn, withStorableCharacters } from './storable-text.js';

describe(unstorableIn.name, () => {
  it.each([
    ['plain text', 'hello', undefined],
    ['an emoji (a surrogate pair)', 'ok 😀', undefined],
    ['a NUL character', 'a\u0000b', 'nul'],
    ['a lone high surrogate', 'a\uD83Db', 'lone-surrogate'],
    ['a lone low surrogate', 'a\uDE00b', 'lone-surrogate'],
    ['a high surrogate at the end', 'a\uD83D', 'lone-surrogate'],
  ])('finds %s', (_case, text, expected) => {
    expect(unstorableIn(text)).toBe(expected);
  });
});

describe(withStorableCharacters.name, () => {
  it('replaces each NUL and lone surrogate by U+FFFD and keeps pairs whole', () => {
    const sut = withStorableCharacters('a\u0000b\uD83Dc😀\uDE00');

    expect(sut).toBe('a\uFFFDb\uFFFDc😀\uFFFD');
    expect(unstorableIn(sut)).toBeUndefined();
  });
});

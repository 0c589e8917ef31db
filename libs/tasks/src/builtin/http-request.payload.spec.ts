import { validateAgainst } from '../registry/payload-validation.js';
import { HttpRequestPayload } from './http-request.handler.js';

const valid = { url: 'https://hooks.example.com/x', method: 'POST' };

describe(HttpRequestPayload.name, () => {
  it('accepts headers whose names are tokens and whose values are plain strings', () => {
    const sut = validateAgainst(HttpRequestPayload, { ...valid, headers: { 'X-Signature': 'abc def', Accept: 'application/json' } });

    expect(sut).toEqual([]);
  });

  it.each([
    ['a value with CR LF (header injection)', { 'X-A': 'ok\r\nX-Injected: 1' }],
    ['a value with a bare LF', { 'X-A': 'ok\nmore' }],
    ['a value with NUL', { 'X-A': 'ok\u0000' }],
    ['a name with a space', { 'X A': 'v' }],
    ['a name with a colon', { 'X-A:': 'v' }],
    ['an empty name', { '': 'v' }],
    ['a value that is not a string', { 'X-A': 1 }],
  ])('refuses %s, so the API answers 400 instead of the task failing later', (_case, headers) => {
    const sut = validateAgainst(HttpRequestPayload, { ...valid, headers });

    expect(sut).toEqual([{ field: 'headers', message: expect.stringContaining('without CR, LF or NUL') }]);
  });
});

import type { FieldError } from '#tasks';
import { parseDeadLetterFilter, parsePage, parseReplaySelection } from './dead-letter-input.js';

const ID = '4f6c0a52-5d0e-4c57-9a0e-0a4b1f1e3c2d';

function parsed<T>(parse: (errors: FieldError[]) => T): { value: T; errors: FieldError[] } {
  const errors: FieldError[] = [];
  return { value: parse(errors), errors };
}

describe(parseReplaySelection.name, () => {
  it('takes ids, lower-cased and without duplicates', () => {
    const sut = parsed((e) => parseReplaySelection({ ids: [ID.toUpperCase(), ID] }, e));

    expect(sut).toEqual({ value: { kind: 'ids', ids: [ID] }, errors: [] });
  });

  it('takes a filter of type, reason and since', () => {
    const sut = parsed((e) => parseReplaySelection({ type: 'fail,http.request', reason: 'timeout', since: '2026-11-25T10:00:00+02:00' }, e));

    expect(sut).toEqual({
      value: { kind: 'filter', filter: { types: ['fail', 'http.request'], reasons: ['timeout'], since: new Date('2026-11-25T08:00:00Z') } },
      errors: [],
    });
  });

  it('takes all: true as an empty filter', () => {
    expect(parsed((e) => parseReplaySelection({ all: true }, e)).value).toEqual({ kind: 'filter', filter: { types: null, reasons: null, since: null } });
  });

  it.each([
    ['nothing', {}, 'body'],
    ['ids with a filter', { ids: [ID], type: 'fail' }, 'ids'],
    ['all with a filter', { all: true, reason: 'timeout' }, 'all'],
  ])('refuses %s: exactly one selection', (_name, body, field) => {
    const sut = parsed((e) => parseReplaySelection(body, e));

    expect(sut.value).toBeNull();
    expect(sut.errors).toEqual([{ field, message: expect.stringContaining('exactly one') }]);
  });

  it('refuses a null field rather than reading it', () => {
    const sut = parsed((e) => parseReplaySelection({ ids: null } as never, e));

    expect(sut).toEqual({ value: null, errors: [{ field: 'ids', message: expect.stringContaining('null') }] });
  });
});

describe(parseDeadLetterFilter.name, () => {
  it.each(['2026-11-25', '2026-11-25T10:00:00', 'yesterday', '2026-13-01T00:00:00Z', '1969-12-31T23:59:59Z', '2026-11-25T10:00:00+99:99'])(
    'refuses since %s',
    (since) => {
      expect(parsed((e) => parseDeadLetterFilter({ since }, e)).errors.map((e) => e.field)).toEqual(['since']);
    },
  );

  it('refuses a type or reason that is not a name', () => {
    const sut = parsed((e) => parseDeadLetterFilter({ type: 'Fail!', reason: 'Max Attempts' }, e));

    expect(sut.errors.map((e) => e.field)).toEqual(['type', 'reason']);
  });
});

describe(parsePage.name, () => {
  it('defaults to 20 from the start, and refuses a limit out of range or a foreign cursor', () => {
    expect(parsed((e) => parsePage({}, e))).toEqual({ value: { after: null, limit: 20 }, errors: [] });
    expect(parsed((e) => parsePage({ limit: '101', cursor: 'abc' }, e)).errors.map((e) => e.field)).toEqual(['limit', 'cursor']);
  });
});

import { since } from './arguments.js';
import { formatTable, shortTime } from './output.js';

describe(formatTable.name, () => {
  it('pads columns to their widest cell, headers in capitals, absent values as -', () => {
    const sut = formatTable(
      ['id', 'status'],
      [
        ['a', 'COMPLETED'],
        ['bbbb', null],
      ],
    );

    expect(sut).toBe('ID    STATUS\na     COMPLETED\nbbbb  -\n');
  });

  it('keeps a row on one line and cuts long cells at 60 characters', () => {
    const sut = formatTable(['error'], [[`line one\nline two ${'x'.repeat(80)}`]]);

    const [, row] = sut.trimEnd().split('\n');
    expect(row).toHaveLength(60);
    expect(row.startsWith('line one line two')).toBe(true);
    expect(row.endsWith('…')).toBe(true);
  });

  it('counts an emoji with its modifier as one character of width', () => {
    const sut = formatTable(
      ['a', 'b'],
      [
        ['👍🏽', 'x'],
        ['ab', 'y'],
      ],
    );

    expect(sut.split('\n')[1]).toBe('👍🏽   x');
  });
});

describe(shortTime.name, () => {
  it('drops the milliseconds and the T', () => {
    expect(shortTime('2026-11-25T10:00:01.123Z')).toBe('2026-11-25 10:00:01Z');
    expect(shortTime(null)).toBe('-');
  });
});

describe(since.name, () => {
  const now = () => Date.parse('2026-11-25T12:00:00.000Z');

  it('turns an age into the ISO time that long ago', () => {
    expect(since('30m', now)).toBe('2026-11-25T11:30:00.000Z');
    expect(since('2d', now)).toBe('2026-11-23T12:00:00.000Z');
  });

  it('takes an ISO time with a zone as it is, and refuses one without', () => {
    expect(since('2026-11-25T10:00:00+02:00', now)).toBe('2026-11-25T10:00:00+02:00');
    expect(() => since('2026-11-25T10:00:00', now)).toThrow('ISO time with a zone');
  });
});

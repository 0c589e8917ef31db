import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { VALIDATOR_OPTIONS } from '../../http/validation.js';
import { CreateTaskBatchDto } from '../dto/create-task-batch.dto.js';
import { CreateTaskDto } from '../dto/create-task.dto.js';
import { plainCreateTask, plainCreateTaskBatch } from './plain-create-task.js';

/** What the class-validator check of CreateTaskDto makes of `body`: the value, or null when it reports an error. */
function checkedByDto(body: Record<string, unknown>): CreateTaskDto | null {
  const value = plainToInstance(CreateTaskDto, body);
  return validateSync(value, VALIDATOR_OPTIONS).length === 0 ? value : null;
}

/** A field: mostly absent or valid, sometimes one of the values the rules are about. */
const field = (valid: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 3 },
    { arbitrary: valid, weight: 3 },
    {
      arbitrary: fc.oneof(
        fc.constant(null),
        fc.string({ unit: 'grapheme', maxLength: 300 }),
        fc.integer({ min: -5, max: 30 }),
        fc.double(),
        fc.boolean(),
        fc.constantFrom('Bad Type', 'low', '', '   ', '2026-12-01T09:00:00Z', 'x'.repeat(201), '❤️'.repeat(150), 'x'.repeat(5001)),
        fc.constantFrom({}, { ms: 1 }, [], [1]),
      ),
      weight: 1,
    },
  );
const body = fc.record(
  {
    type: field(fc.constantFrom('noop', 'sleep', 'http.request')),
    title: field(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 210 })),
    description: field(fc.string({ unit: 'grapheme', maxLength: 60 })),
    priority: field(fc.constantFrom('LOW', 'MEDIUM', 'HIGH')),
    payload: field(fc.constantFrom({}, { ms: 5 })),
    maxAttempts: field(fc.integer({ min: 1, max: 20 })),
    runAt: fc.oneof({ arbitrary: fc.constant(undefined), weight: 9 }, { arbitrary: fc.constant('2026-12-01T09:00:00Z'), weight: 1 }),
    extra: fc.oneof({ arbitrary: fc.constant(undefined), weight: 19 }, { arbitrary: fc.constant('x'), weight: 1 }),
  },
  { requiredKeys: [] },
);
/** The DTO's defined fields as a plain object (what plainCreateTask returns), or null. */
const plainFields = (dto: CreateTaskDto | null) => (dto === null ? null : Object.fromEntries(Object.entries(dto).filter(([, value]) => value !== undefined)));

describe(plainCreateTask.name, () => {
  it.each([
    [{ title: 'Resize avatar 42' }, { title: 'Resize avatar 42' }],
    [
      { title: '  padded  ', priority: 'HIGH', type: 'sleep', payload: { ms: 5 }, maxAttempts: 3, description: '' },
      { title: 'padded', priority: 'HIGH', type: 'sleep', payload: { ms: 5 }, maxAttempts: 3, description: '' },
    ],
  ])('reads the plainly valid body %j', (input, expected) => {
    const sut = plainCreateTask(input);

    expect(sut).toEqual(expected);
  });

  it.each([
    ['a null field', { title: 'x', description: null }],
    ['a runAt', { title: 'x', runAt: '2026-12-01T09:00:00Z' }],
    ['an undeclared field', { title: 'x', colour: 'red' }],
    ['a title of only spaces', { title: '   ' }],
    ['a title over 200 UTF-16 units', { title: '❤️'.repeat(101) }],
    ['a fractional maxAttempts', { title: 'x', maxAttempts: 1.5 }],
    ['an array payload', { title: 'x', payload: [] }],
  ])('leaves %s to the full check', (_, input) => {
    expect(plainCreateTask(input)).toBeNull();
  });

  it('accepts only bodies the class-validator check accepts, with the same value', () => {
    const check = () =>
      fc.assert(
        fc.property(body, (input) => {
          const sut = plainCreateTask(input);
          return sut === null || isDeepStrictEqual(sut, plainFields(checkedByDto(input)));
        }),
        { numRuns: 5000 },
      );

    expect(check).not.toThrow();
  });

  it('reads most valid bodies itself (the hot path is taken)', () => {
    const valid = fc.record(
      {
        type: fc.constantFrom('noop', 'sleep'),
        title: fc.string({ minLength: 1, maxLength: 50 }).filter((s) => s.trim().length > 0),
        priority: fc.constantFrom('LOW', 'MEDIUM', 'HIGH'),
        payload: fc.constantFrom({}, { ms: 1 }),
        maxAttempts: fc.integer({ min: 1, max: 20 }),
      },
      { requiredKeys: ['title'] },
    );
    fc.assert(
      fc.property(valid, (input) => {
        expect(plainCreateTask(input)).toEqual(checkedByDto(input));
      }),
      { numRuns: 300 },
    );
  });
});

describe(plainCreateTaskBatch.name, () => {
  /** What the class-validator check of CreateTaskBatchDto makes of `input`: its tasks' fields, or null when it reports an error. */
  const checkedBatch = (input: Record<string, unknown>) => {
    const value = plainToInstance(CreateTaskBatchDto, input);
    return validateSync(value, VALIDATOR_OPTIONS).length === 0 ? value.tasks.map(plainFields) : null;
  };

  it.each([
    ['no tasks field', {}],
    ['an empty list', { tasks: [] }],
    ['1,001 tasks', { tasks: Array.from({ length: 1001 }, () => ({ title: 'x' })) }],
    ['a field beside tasks', { tasks: [{ title: 'x' }], colour: 'red' }],
    ['tasks that is not a list', { tasks: { title: 'x' } }],
    ['an item that is not an object', { tasks: [{ title: 'x' }, 'y'] }],
    ['an item with a runAt', { tasks: [{ title: 'x' }, { title: 'y', runAt: '2026-12-01T09:00:00Z' }] }],
  ])('leaves %s to the full check', (_, input) => {
    expect(plainCreateTaskBatch(input)).toBeNull();
  });

  it('reads a batch of plainly valid items, each as plainCreateTask reads it', () => {
    const input = { tasks: [{ title: ' a ' }, { title: 'b', type: 'sleep', payload: { ms: 5 }, priority: 'HIGH' }] };
    expect(plainCreateTaskBatch(input)).toEqual({ tasks: [{ title: 'a' }, { title: 'b', type: 'sleep', payload: { ms: 5 }, priority: 'HIGH' }] });
  });

  it('accepts only batches the class-validator check accepts, with the same items', () => {
    const check = () =>
      fc.assert(
        fc.property(fc.array(body, { minLength: 0, maxLength: 6 }), (tasks) => {
          const sut = plainCreateTaskBatch({ tasks });
          return sut === null || isDeepStrictEqual(sut.tasks, checkedBatch({ tasks }));
        }),
        { numRuns: 2000 },
      );
    expect(check).not.toThrow();
  });
});

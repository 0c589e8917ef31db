import { IsInt, IsString, Min, ValidationError } from 'class-validator';
import { flattenValidationErrors, validateAgainst } from './payload-validation.js';

class EmailPayload {
  @IsString()
  to!: string;

  @IsInt()
  @Min(1)
  retries!: number;
}

class EmptyPayload {}

function validationError(property: string, constraints: Record<string, string>, children: ValidationError[] = []): ValidationError {
  return Object.assign(new ValidationError(), { property, constraints, children });
}

describe(validateAgainst.name, () => {
  it('gives no errors for a valid object', () => {
    expect(validateAgainst(EmailPayload, { to: 'a@example.com', retries: 1 })).toEqual([]);
  });

  it('gives no errors for {} against a class without fields', () => {
    expect(validateAgainst(EmptyPayload, {})).toEqual([]);
  });

  it('gives one error per failed constraint, named by field', () => {
    expect(validateAgainst(EmailPayload, { to: 7, retries: 0 })).toEqual([
      { field: 'to', message: 'to must be a string' },
      { field: 'retries', message: 'retries must not be less than 1' },
    ]);
  });

  it('does not convert strings to numbers', () => {
    expect(validateAgainst(EmailPayload, { to: 'a@example.com', retries: '2' }).map((e) => e.field)).toContain('retries');
  });

  it('refuses an unknown property instead of dropping it', () => {
    expect(validateAgainst(EmailPayload, { to: 'a@example.com', retries: 1, cc: 'b@example.com' }, 'payload')).toEqual([
      { field: 'payload.cc', message: 'property cc should not exist' },
    ]);
  });

  it.each([
    [null, ''],
    [[], 'payload'],
    ['text', 'payload'],
  ])('refuses %j as not a JSON object, at the root %j', (value, prefix) => {
    expect(validateAgainst(EmailPayload, value, prefix)).toEqual([{ field: prefix || '(root)', message: 'must be a JSON object' }]);
  });
});

describe(flattenValidationErrors.name, () => {
  it('names nested fields by their path under the prefix', () => {
    const errors = [
      validationError('headers', { isObject: 'headers must be an object' }, [validationError('accept', { isString: 'accept must be a string' })]),
    ];

    expect(flattenValidationErrors(errors, 'payload')).toEqual([
      { field: 'payload.headers', message: 'headers must be an object' },
      { field: 'payload.headers.accept', message: 'accept must be a string' },
    ]);
  });

  it('names a field without a prefix by its property alone', () => {
    expect(flattenValidationErrors([validationError('ms', { min: 'ms must not be less than 0' })])).toEqual([
      { field: 'ms', message: 'ms must not be less than 0' },
    ]);
  });
});

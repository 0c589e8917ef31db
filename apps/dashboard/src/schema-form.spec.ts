import type { JsonSchema } from './api.js';
import { constraintHint, payloadFields, payloadFromInputs } from './schema-form.js';

const failSchema: JsonSchema = {
  type: 'object',
  properties: {
    times: { type: 'integer', minimum: 0, maximum: 20 },
    permanent: { type: 'boolean' },
    message: { type: 'string', maxLength: 1000 },
  },
  additionalProperties: false,
};
const httpSchema: JsonSchema = {
  type: 'object',
  properties: {
    url: { type: 'string', format: 'uri' },
    method: { type: 'string', enum: ['GET', 'POST'] },
    headers: { type: 'object' },
    ms: { type: 'integer' },
  },
  required: ['url', 'ms'],
};

describe(payloadFields.name, () => {
  it('gives each property an input of its kind and marks the required ones', () => {
    const sut = payloadFields(httpSchema);

    expect(sut.map((f) => [f.name, f.kind, f.required])).toEqual([
      ['url', 'string', true],
      ['method', 'enum', false],
      ['headers', 'json', false],
      ['ms', 'integer', true],
    ]);
    expect(sut[1].options).toEqual(['GET', 'POST']);
  });
});

describe(payloadFromInputs.name, () => {
  it('parses numbers, booleans and JSON, and leaves empty optional fields out', () => {
    const sut = payloadFromInputs(payloadFields(failSchema), { times: '2', permanent: 'true', message: '' });

    expect(sut).toEqual({ payload: { times: 2, permanent: true }, errors: [] });
  });

  it('names each field that cannot be sent as typed', () => {
    const sut = payloadFromInputs(payloadFields(httpSchema), { url: '', method: '', headers: '{broken', ms: '1.5' });

    expect(sut.errors).toEqual([
      { field: 'payload.url', message: 'is required' },
      { field: 'payload.headers', message: 'is not valid JSON' },
      { field: 'payload.ms', message: 'must be a whole number' },
    ]);
  });

  it('keeps JSON values as parsed', () => {
    const sut = payloadFromInputs(payloadFields(httpSchema), { url: 'https://example.org', headers: '{"a":"b"}', ms: '5' });

    expect(sut.payload).toEqual({ url: 'https://example.org', headers: { a: 'b' }, ms: 5 });
  });
});

describe(constraintHint.name, () => {
  it('describes a property’s limits', () => {
    expect(constraintHint({ type: 'integer', minimum: 0, maximum: 20 })).toBe('0 to 20');
    expect(constraintHint({ type: 'string', maxLength: 1000 })).toBe('up to 1000 characters');
    expect(constraintHint({ type: 'object' })).toBe('JSON object');
  });
});

import { samplePayload } from './sample-payload.js';

describe(samplePayload.name, () => {
  it('leaves the payload out when the schema requires nothing', () => {
    expect(samplePayload({ type: 'object', properties: { ms: { type: 'integer' } } })).toBeUndefined();
  });

  it('fills each required property with the least value its schema accepts, and leaves optional ones out', () => {
    const sut = samplePayload({
      type: 'object',
      required: ['ms', 'url', 'method', 'tags', 'enabled', 'name', 'nested'],
      properties: {
        ms: { type: 'integer', minimum: 1, maximum: 60000 },
        url: { type: 'string', format: 'uri' },
        method: { type: 'string', enum: ['GET', 'POST'] },
        tags: { type: 'array', minItems: 1, items: { type: 'string', minLength: 3 } },
        enabled: { type: 'boolean' },
        name: { type: 'string', minLength: 2 },
        nested: { type: 'object', required: ['n'], properties: { n: { type: 'number', exclusiveMinimum: 0 } } },
        optional: { type: 'string' },
      },
    });

    expect(sut).toEqual({ ms: 1, url: 'https://example.com/', method: 'GET', tags: ['xxx'], enabled: false, name: 'xx', nested: { n: 1 } });
  });

  it('prefers a property’s example, then its default', () => {
    const sut = samplePayload({
      type: 'object',
      required: ['a', 'b'],
      properties: { a: { type: 'integer', example: 250, default: 10 }, b: { type: 'integer', default: 10 } },
    });

    expect(sut).toEqual({ a: 250, b: 10 });
  });
});

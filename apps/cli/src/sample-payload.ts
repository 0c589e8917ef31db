/** A JSON Schema as `GET /task-types` serves a payload's (class-validator-jsonschema's output). */
export interface PayloadSchema {
  type?: string | string[];
  properties?: Record<string, PayloadSchema>;
  required?: string[];
  items?: PayloadSchema;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  examples?: unknown[];
  example?: unknown;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  minLength?: number;
  minItems?: number;
  format?: string;
}

/**
 * The smallest payload a type's schema accepts, for `dispatch <type>` without `--payload`: each
 * required property gets its example, its default, its first allowed value, or the least value
 * of its type within its bounds (optional properties are left out). Returns undefined when the
 * schema requires nothing, so the task is created without a payload, as the API defaults it.
 */
export function samplePayload(schema: PayloadSchema): Record<string, unknown> | undefined {
  if (!schema.required || schema.required.length === 0) return undefined;
  return sampleObject(schema);
}

function sampleObject(schema: PayloadSchema): Record<string, unknown> {
  const sample: Record<string, unknown> = {};
  for (const name of schema.required ?? []) sample[name] = sampleValue(schema.properties?.[name] ?? {});
  return sample;
}

function sampleValue(schema: PayloadSchema): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.examples && schema.examples.length > 0) return schema.examples[0];
  if (schema.example !== undefined) return schema.example;
  if (schema.default !== undefined) return schema.default;
  if (schema.enum && schema.enum.length > 0) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'integer':
    case 'number': {
      const low = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 0);
      return schema.maximum !== undefined ? Math.min(low, schema.maximum) : low;
    }
    case 'boolean':
      return false;
    case 'string':
      if (schema.format === 'uri' || schema.format === 'url') return 'https://example.com/';
      if (schema.format === 'email') return 'someone@example.com';
      if (schema.format === 'date-time') return new Date(0).toISOString();
      return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => sampleValue(schema.items ?? {}));
    case 'object':
      return sampleObject(schema);
    default:
      return null;
  }
}

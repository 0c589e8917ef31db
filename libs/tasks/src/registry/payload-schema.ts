import { targetConstructorToSchema } from 'class-validator-jsonschema';
import type { PayloadClass } from './task-handler.decorator.js';

/**
 * The JSON Schema of a payload class, derived from the same class-validator decorators that
 * validate it, so the schema cannot drift from the checks. Unknown properties are refused, so
 * the schema says `additionalProperties: false`.
 */
export function payloadJsonSchema(cls: PayloadClass): Record<string, unknown> {
  const schema = targetConstructorToSchema(cls) as Record<string, unknown>;
  const properties = { ...(schema.properties as Record<string, Record<string, unknown>> | undefined) };
  for (const [name, property] of Object.entries(properties)) {
    // @IsObject() comes out as a reference to a definition we do not ship: keep the type only.
    if (typeof property.$ref === 'string') {
      const { $ref: _ref, ...rest } = property;
      properties[name] = rest;
    }
  }
  return { type: 'object', ...schema, properties, additionalProperties: false };
}

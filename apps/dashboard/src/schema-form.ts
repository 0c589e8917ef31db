import type { JsonSchema } from './api.js';

/** How one payload property is entered in the form. */
export type FieldKind = 'integer' | 'number' | 'boolean' | 'enum' | 'string' | 'json';

export interface PayloadField {
  name: string;
  kind: FieldKind;
  required: boolean;
  schema: JsonSchema;
  /** For 'enum': the allowed values, as text. */
  options: string[];
}

/**
 * The form's fields for a payload schema (the JSON Schema GET /task-types serves). Scalars get
 * their own input; objects, arrays and anything else are typed as JSON. Pure: no DOM.
 */
export function payloadFields(schema: JsonSchema): PayloadField[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, property]) => ({
    name,
    kind: kindOf(property),
    required: required.has(name),
    schema: property,
    options: Array.isArray(property.enum) ? property.enum.map(String) : [],
  }));
}

function kindOf(schema: JsonSchema): FieldKind {
  if (Array.isArray(schema.enum) && schema.enum.every((v) => typeof v === 'string')) return 'enum';
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'integer':
    case 'number':
    case 'boolean':
    case 'string':
      return type;
    default:
      return 'json';
  }
}

/**
 * The payload from what was typed, field by field: empty optional fields are left out (the API
 * applies its defaults), numbers and JSON are parsed. The API checks the result again; these
 * errors only catch what cannot even be sent (text in a number, broken JSON).
 */
export function payloadFromInputs(
  fields: PayloadField[],
  values: Record<string, string | boolean>,
): { payload: Record<string, unknown>; errors: { field: string; message: string }[] } {
  const payload: Record<string, unknown> = {};
  const errors: { field: string; message: string }[] = [];
  for (const field of fields) {
    const raw = values[field.name];
    if (field.kind === 'boolean') {
      // A tri-state select: '' (leave out), 'true', 'false'.
      if (raw === 'true' || raw === true) payload[field.name] = true;
      else if (raw === 'false' || raw === false) payload[field.name] = false;
      else if (field.required) errors.push({ field: `payload.${field.name}`, message: 'choose true or false' });
      continue;
    }
    const text = typeof raw === 'string' ? raw.trim() : '';
    if (text === '') {
      if (field.required) errors.push({ field: `payload.${field.name}`, message: 'is required' });
      continue;
    }
    switch (field.kind) {
      case 'integer':
      case 'number': {
        const value = Number(text);
        if (!Number.isFinite(value) || (field.kind === 'integer' && !Number.isInteger(value))) {
          errors.push({ field: `payload.${field.name}`, message: `must be ${field.kind === 'integer' ? 'a whole number' : 'a number'}` });
        } else payload[field.name] = value;
        break;
      }
      case 'json':
        try {
          payload[field.name] = JSON.parse(text);
        } catch {
          errors.push({ field: `payload.${field.name}`, message: 'is not valid JSON' });
        }
        break;
      case 'enum':
      case 'string':
        payload[field.name] = typeof raw === 'string' ? raw : '';
        break;
    }
  }
  return { payload, errors };
}

/** A short hint from a property's constraints: "0 to 600000", "up to 1000 characters", "one of GET, POST". */
export function constraintHint(schema: JsonSchema): string {
  const parts: string[] = [];
  if (schema.minimum !== undefined && schema.maximum !== undefined) parts.push(`${schema.minimum} to ${schema.maximum}`);
  else if (schema.minimum !== undefined) parts.push(`at least ${schema.minimum}`);
  else if (schema.maximum !== undefined) parts.push(`at most ${schema.maximum}`);
  if (schema.maxLength !== undefined) parts.push(`up to ${schema.maxLength} characters`);
  if (schema.format) parts.push(schema.format);
  if (Array.isArray(schema.type) || (schema.type !== undefined && !['integer', 'number', 'string', 'boolean'].includes(schema.type)))
    parts.push(`JSON ${[schema.type].flat().join(' or ')}`);
  if (schema.type === undefined && !schema.enum) parts.push('JSON');
  return parts.join('; ');
}

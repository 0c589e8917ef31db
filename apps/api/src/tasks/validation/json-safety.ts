import { type FieldError, unstorableIn } from '#tasks';

/** Deeper than this, a body is refused before anything walks it recursively. */
export const MAX_JSON_DEPTH = 32;
/** Keys class-transformer would silently drop (or that reach prototypes): refused, never lost. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Finds what a JSON body may hold but PostgreSQL cannot store or our validators cannot see:
 * NUL characters and lone surrogates in strings (text and jsonb refuse them), keys that
 * class-transformer drops, and nesting deeper than {@link MAX_JSON_DEPTH}. Iterative, so a
 * hostile depth cannot overflow the stack.
 */
export function jsonSafetyErrors(body: unknown, root = ''): FieldError[] {
  const errors: FieldError[] = [];
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: body, path: root, depth: 0 }];
  while (stack.length > 0 && errors.length < 20) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      const unstorable = unstorableIn(value);
      if (unstorable === 'nul') errors.push({ field: path || '(root)', message: 'must not contain NUL (\\u0000) characters' });
      else if (unstorable === 'lone-surrogate') errors.push({ field: path || '(root)', message: 'must be valid Unicode (it has a lone surrogate)' });
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH) {
      // Named by its top-level field: the full path would be 32 segments long.
      const top = path.split(/[.[]/)[0];
      errors.push({ field: top || '(root)', message: `is nested more than ${MAX_JSON_DEPTH} levels deep` });
      continue;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => stack.push({ value: item, path: `${path}[${i}]`, depth: depth + 1 }));
      continue;
    }
    for (const key of Object.keys(value)) {
      const field = path ? `${path}.${key}` : key;
      if (FORBIDDEN_KEYS.has(key)) errors.push({ field, message: `'${key}' is not allowed as a field name` });
      else if (unstorableIn(key)) errors.push({ field: path || '(root)', message: 'has a field name that is not valid Unicode' });
      else stack.push({ value: (value as Record<string, unknown>)[key], path: field, depth: depth + 1 });
    }
  }
  return errors;
}

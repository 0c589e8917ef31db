import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import type { PayloadClass } from './task-handler.decorator.js';

/** One field that did not pass, as it appears in a problem's `errors[]`. */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * Validates a plain JSON value against a class-validator class. Unknown properties are
 * errors rather than silently dropped, the same at the API and in the worker.
 */
export function validateAgainst(cls: PayloadClass, value: unknown, fieldPrefix = ''): FieldError[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return [{ field: fieldPrefix || '(root)', message: 'must be a JSON object' }];
  }
  const instance = plainToInstance(cls, value);
  const errors = validateSync(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
    // The value is known to be an object; a payload class with no fields (noop) must still pass `{}`.
    forbidUnknownValues: false,
    validationError: { target: false, value: false },
  });
  return flattenValidationErrors(errors, fieldPrefix);
}

/** Turns class-validator's tree into `[{field: 'payload.ms', message}]`. */
export function flattenValidationErrors(errors: ValidationError[], prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    // Array items read as `tasks[3].title`, object fields as `payload.ms`.
    const field = /^\d+$/.test(error.property) ? `${prefix}[${error.property}]` : prefix ? `${prefix}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {})) out.push({ field, message });
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, field));
  }
  return out;
}

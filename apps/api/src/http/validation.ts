import { ValidationPipe } from '@nestjs/common';
import { flattenValidationErrors } from '#tasks';
import { ApiError } from '../problems/api-error.js';

/**
 * How every DTO is checked, by the global ValidationPipe and by the pipes that run
 * class-validator themselves: a property the DTO does not declare is refused rather than
 * dropped, and an error never echoes the value it refused.
 */
export const VALIDATOR_OPTIONS = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  validationError: { target: false, value: false },
} as const;

/**
 * The ValidationPipe of the API: DTOs checked with VALIDATOR_OPTIONS, every bad field named in
 * one RFC 9457 problem (VALIDATION_FAILED).
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    ...VALIDATOR_OPTIONS,
    exceptionFactory: (errors) => ApiError.validation(flattenValidationErrors(errors)),
  });
}

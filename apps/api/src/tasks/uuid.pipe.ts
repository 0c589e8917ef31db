import type { PipeTransform } from '@nestjs/common';
import { UUID_PATTERN } from '#tasks';
import { ApiError } from '../problems/api-error.js';

/** A path id must be a UUID: 400 naming the field otherwise, before any query runs. */
export class TaskIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!UUID_PATTERN.test(value)) throw ApiError.validation([{ field: 'id', message: 'must be a UUID' }]);
    return value.toLowerCase();
  }
}

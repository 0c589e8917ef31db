import type { PipeTransform } from '@nestjs/common';
import { ApiError } from '../problems/api-error.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A path id must be a UUID: 400 naming the field otherwise, before any query runs. */
export class TaskIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!UUID.test(value)) throw ApiError.validation([{ field: 'id', message: 'must be a UUID' }]);
    return value.toLowerCase();
  }
}

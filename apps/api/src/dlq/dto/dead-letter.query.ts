import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

/** The filters of `GET /api/v1/dlq`; checked and typed by DeadLetterQueryPipe. */
export class DeadLetterSummaryQuery {
  @ApiPropertyOptional({ description: 'One task type or a comma list.', example: 'http.request' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  type?: string;

  @ApiPropertyOptional({
    description: 'One reason or a comma list: max-attempts-exhausted, permanent-error, timeout, result-not-storable, worker-lost, dispatch-failed, unknown.',
    example: 'max-attempts-exhausted',
  })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Only tasks that failed at or after this ISO 8601 time (with a zone).',
    example: '2026-11-25T00:00:00Z',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  since?: string;
}

/** The filters and position of `GET /api/v1/dlq/tasks`. */
export class DeadLetterListQuery extends DeadLetterSummaryQuery {
  // A query string is text to the validator; to a client the page size is a whole number.
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, description: 'Page size, 1–100.', default: 20, example: 20 })
  @IsOptional()
  @IsString()
  limit?: string;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, Equals, IsArray, IsBoolean, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';

export const MAX_REPLAY_IDS = 1000;

/**
 * The body of `POST /api/v1/dlq/replay`: which FAILED tasks to retry. Exactly one selection:
 * `ids`; or a filter (`type`, `reason`, `since`, together or alone); or `all: true`.
 * DeadLetterReplayPipe checks the combination and the values.
 */
export class ReplayDeadLettersDto {
  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    minItems: 1,
    maxItems: MAX_REPLAY_IDS,
    description: 'These tasks. Every id must exist (404 otherwise, nothing replayed); those not FAILED are listed in skipped.',
    example: ['4f6c0a52-5d0e-4c57-9a0e-0a4b1f1e3c2d'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_REPLAY_IDS)
  @IsUUID('all', { each: true })
  ids?: string[];

  @ApiPropertyOptional({ description: 'Every FAILED task of this type (or comma list of types).', example: 'http.request' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  type?: string;

  @ApiPropertyOptional({ description: 'Every FAILED task that failed for this reason (or comma list).', example: 'max-attempts-exhausted' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Every FAILED task that failed at or after this ISO 8601 time (with a zone).',
    example: '2026-11-25T00:00:00Z',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  since?: string;

  @ApiPropertyOptional({ description: 'Every FAILED task. Must be true when given, and comes alone.', example: true })
  @IsOptional()
  @IsBoolean()
  @Equals(true)
  all?: boolean;
}

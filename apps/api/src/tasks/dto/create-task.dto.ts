import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDateString, IsEnum, IsInt, IsObject, IsOptional, IsString, Matches, Max, Min, ValidateIf } from 'class-validator';
import { TASK_TYPE_PATTERN, TaskPriority } from '#tasks';
import { LengthInCharacters } from '../validation/length-in-characters.js';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/** The body of `POST /api/v1/tasks`; every field is described in documents/api.md ("The task"). */
export class CreateTaskDto {
  @ApiPropertyOptional({ description: 'A registered task type (see GET /api/v1/task-types).', default: 'noop', example: 'sleep' })
  @IsOptional()
  @IsString()
  @Matches(TASK_TYPE_PATTERN, { message: 'type must be a registered task type name' })
  type?: string;

  @ApiProperty({ description: '1–200 characters after trimming.', example: 'Resize avatar 42', minLength: 1, maxLength: 200 })
  @Transform(trim)
  @IsString()
  @LengthInCharacters(1, 200)
  title!: string;

  @ApiPropertyOptional({ type: String, description: 'Up to 5,000 characters.', nullable: true, maxLength: 5000, example: 'Requested by the profile page' })
  @IsOptional()
  @IsString()
  @LengthInCharacters(0, 5000)
  description?: string | null;

  @ApiPropertyOptional({ enum: TaskPriority, default: TaskPriority.MEDIUM, description: 'Picks the queue: tasks.low, tasks.medium or tasks.high.' })
  @IsOptional()
  @IsEnum(TaskPriority, { message: 'priority must be one of LOW, MEDIUM, HIGH' })
  priority?: TaskPriority;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: "At most 64 KiB as JSON, checked against the type's payload schema.",
    example: { ms: 250 },
  })
  // Absent means {}; null is not an object and is refused, not silently turned into {}.
  @ValidateIf((_, value) => value !== undefined)
  @IsObject()
  payload?: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 20, description: 'Tries before FAILED; default 1 + MAX_RETRIES.', example: 3 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(20)
  maxAttempts?: number;

  @ApiPropertyOptional({ format: 'date-time', description: 'Not dispatched before this time.', example: '2026-12-01T09:00:00Z' })
  @IsOptional()
  @IsDateString({ strict: true }, { message: 'runAt must be an ISO 8601 date-time' })
  runAt?: string;
}

import { Transform } from 'class-transformer';
import { IsDateString, IsEnum, IsInt, IsObject, IsOptional, IsString, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { TaskPriority } from '#tasks';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/** The body of `POST /api/v1/tasks` (contract §2). */
export class CreateTaskDto {
  /** A registered task type; `noop` when absent. */
  @IsOptional()
  @IsString()
  @Matches(/^[a-z][a-z0-9_.-]{0,99}$/, { message: 'type must be a registered task type name' })
  type?: string;

  @Transform(trim)
  @IsString()
  @Length(1, 200)
  title!: string;

  @IsOptional()
  @IsString()
  @MaxLength(5000)
  description?: string | null;

  @IsOptional()
  @IsEnum(TaskPriority, { message: 'priority must be one of LOW, MEDIUM, HIGH' })
  priority?: TaskPriority;

  @IsOptional()
  @IsObject()
  payload?: Record<string, unknown>;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(20)
  maxAttempts?: number;

  /** Not dispatched before this time (ISO 8601 with a time zone). */
  @IsOptional()
  @IsDateString({ strict: true }, { message: 'runAt must be an ISO 8601 date-time' })
  runAt?: string;
}

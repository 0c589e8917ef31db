import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

/**
 * The query of `GET /api/v1/tasks`. Each filter takes one value or a comma list; the values
 * are checked and turned into a typed query by ListTasksQueryPipe.
 */
export class ListTasksQuery {
  @ApiPropertyOptional({ description: 'One status or a comma list, e.g. FAILED,CANCELLED.', example: 'PENDING,IN_PROGRESS' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  status?: string;

  @ApiPropertyOptional({ description: 'One priority or a comma list.', example: 'HIGH' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  priority?: string;

  @ApiPropertyOptional({ description: 'One task type or a comma list.', example: 'sleep,noop' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  type?: string;

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

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

class FieldErrorView {
  @ApiProperty({ example: 'tasks[3].payload.ms' }) field!: string;
  @ApiProperty({ example: 'ms must not be less than 0' }) message!: string;
}

/** RFC 9457 problem document, for the OpenAPI description of every error response. */
export class ProblemView {
  @ApiProperty({ example: '/problems/validation-error' }) type!: string;
  @ApiProperty({ example: 'Your request is not valid' }) title!: string;
  @ApiProperty({ type: 'integer', example: 400 }) status!: number;
  @ApiProperty({ example: '1 field is not valid: title' }) detail!: string;
  @ApiProperty({ example: 'VALIDATION_FAILED' }) code!: string;
  @ApiPropertyOptional({ example: '/api/v1/tasks' }) instance?: string;
  @ApiProperty({ example: '5b0e2a0c-7d7b-4c1b-9b7e-0c9f3f5e2a11' }) requestId!: string;
  @ApiPropertyOptional({ type: [FieldErrorView] }) errors?: FieldErrorView[];
}

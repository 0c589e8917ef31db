import { Injectable, type PipeTransform } from '@nestjs/common';
import type { CreateTaskBatchDto } from '../dto/create-task-batch.dto.js';
import type { CreateTaskDto } from '../dto/create-task.dto.js';
import { TaskInputValidator } from './task-input.validator.js';

/**
 * The bodies of the two create calls go through these pipes instead of the global
 * ValidationPipe (their parameters are typed as interfaces, which it skips), so the shape and
 * the payloads are checked together and every bad field is reported in one answer.
 */
@Injectable()
export class CreateTaskBodyPipe implements PipeTransform<unknown, CreateTaskDto> {
  constructor(private readonly validator: TaskInputValidator) {}
  transform(body: unknown): CreateTaskDto {
    return this.validator.one(body);
  }
}

@Injectable()
export class CreateTaskBatchBodyPipe implements PipeTransform<unknown, CreateTaskBatchDto> {
  constructor(private readonly validator: TaskInputValidator) {}
  transform(body: unknown): CreateTaskBatchDto {
    return this.validator.batch(body);
  }
}

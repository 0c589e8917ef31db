import { TASK_TYPE_PATTERN, TaskPriority } from '#tasks';
import { type CreateTaskBatchDto, MAX_BATCH_SIZE } from '../dto/create-task-batch.dto.js';
import type { CreateTaskDto } from '../dto/create-task.dto.js';

const FIELDS = new Set(['type', 'title', 'description', 'priority', 'payload', 'maxAttempts', 'runAt']);
const PRIORITIES = new Set<unknown>(Object.values(TaskPriority));

/**
 * The body of `POST /tasks` as CreateTaskDto, read by hand when it is plainly valid: only declared
 * fields, each absent or of the plainest valid form. Anything else (a null, a `runAt`, a string
 * whose length needs counting in code points, any error) gives null, and the class-validator
 * check of CreateTaskDto decides and words the answer. So this accepts a subset of what that
 * check accepts, with the same value (title trimmed), and costs a few property reads instead of
 * a class-transformer copy and a class-validator walk on the hot path.
 */
export function plainCreateTask(body: Record<string, unknown>): CreateTaskDto | null {
  for (const key in body) if (!FIELDS.has(key)) return null;
  const { type, title, description, priority, payload, maxAttempts, runAt } = body;
  if (runAt !== undefined) return null;
  if (type !== undefined && !(typeof type === 'string' && TASK_TYPE_PATTERN.test(type))) return null;
  if (typeof title !== 'string') return null;
  const trimmed = title.trim();
  // UTF-16 units are never fewer than code points: within 200 units is within 200 characters.
  if (trimmed.length === 0 || trimmed.length > 200) return null;
  if (description !== undefined && !(typeof description === 'string' && description.length <= 5000)) return null;
  if (priority !== undefined && !PRIORITIES.has(priority)) return null;
  if (payload !== undefined && !(typeof payload === 'object' && payload !== null && !Array.isArray(payload))) return null;
  if (maxAttempts !== undefined && !(typeof maxAttempts === 'number' && Number.isInteger(maxAttempts) && maxAttempts >= 1 && maxAttempts <= 20)) {
    return null;
  }
  const dto: CreateTaskDto = { title: trimmed };
  if (type !== undefined) dto.type = type;
  if (description !== undefined) dto.description = description;
  if (priority !== undefined) dto.priority = priority as TaskPriority;
  if (payload !== undefined) dto.payload = payload as Record<string, unknown>;
  if (maxAttempts !== undefined) dto.maxAttempts = maxAttempts;
  return dto;
}

/**
 * The body of `POST /tasks/batch` as CreateTaskBatchDto, read by hand when it is plainly valid:
 * only `tasks`, an array of 1 to MAX_BATCH_SIZE items that {@link plainCreateTask} each reads.
 * Anything else gives null, and the class-validator check of CreateTaskBatchDto decides and
 * words the answer (every bad item, by index), as for a single create.
 */
export function plainCreateTaskBatch(body: Record<string, unknown>): CreateTaskBatchDto | null {
  for (const key in body) if (key !== 'tasks') return null;
  const { tasks } = body;
  if (!Array.isArray(tasks) || tasks.length === 0 || tasks.length > MAX_BATCH_SIZE) return null;
  const dtos: CreateTaskDto[] = [];
  for (const item of tasks as unknown[]) {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return null;
    const dto = plainCreateTask(item as Record<string, unknown>);
    if (!dto) return null;
    dtos.push(dto);
  }
  return { tasks: dtos };
}

/**
 * The task service's typed client for other TypeScript services: global fetch, no other
 * dependency, types generated from the OpenAPI document (documents/openapi.json). The folder
 * imports nothing outside itself, so it can be copied into another project as it is.
 */
export {
  type CreateOptions,
  type CreateTaskInput,
  type ListFilters,
  listQuery,
  type Task,
  type TaskEvent,
  type TaskPage,
  type TaskPriority,
  TaskServiceClient,
  type TaskStats,
  type TaskStatus,
  type TaskStatusSummary,
  type TaskTimeline,
  type TaskType,
  TaskWaitTimeout,
  TERMINAL_STATUSES,
  type WaitOptions,
} from './client.js';
export {
  type DeadLetter,
  type DeadLetterFilter,
  type DeadLetterGroup,
  type DeadLetterListFilter,
  type DeadLetterPage,
  deadLetterQuery,
  DeadLetterQueueCalls,
  type DeadLetterSummary,
  type PurgeResult,
  replayBody,
  type ReplayResult,
  type ReplaySelection,
} from './dead-letters.js';
export {
  ConflictProblem,
  ForbiddenProblem,
  NotFoundProblem,
  parseRetryAfter,
  type ProblemFields,
  type ProblemKind,
  problemFromResponse,
  RateLimitedProblem,
  TaskServiceProblem,
  UnauthorizedProblem,
  UnavailableProblem,
  ValidationProblem,
} from './problems.js';
export { API_BASE_PATH, type CallOptions, IDEMPOTENCY_KEY_HEADER, type TaskServiceClientOptions } from './transport.js';
export type * from './generated/api-types.js';

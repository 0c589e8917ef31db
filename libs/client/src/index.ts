/**
 * The task service's typed client for other TypeScript services: global fetch, no other
 * dependency, types generated from the OpenAPI document (documents/openapi.json). The folder
 * imports nothing outside itself, so it can be copied into another project as it is.
 */
export {
  API_BASE_PATH,
  type CallOptions,
  type CreateOptions,
  type CreateTaskInput,
  IDEMPOTENCY_KEY_HEADER,
  type ListFilters,
  listQuery,
  type Task,
  type TaskPage,
  type TaskPriority,
  TaskServiceClient,
  type TaskServiceClientOptions,
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
  ConflictProblem,
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
export type * from './generated/api-types.js';

import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, type ProblemKind } from './problem.js';
import { ProblemView } from './problem.view.js';

// The first kind listed for a status describes it (400: "Your request is not valid").
const KIND_OF: Record<number, ProblemKind> = Object.fromEntries(
  (Object.entries(PROBLEM_TYPES) as [ProblemKind, (typeof PROBLEM_TYPES)[ProblemKind]][]).reverse().map(([kind, p]) => [p.status, kind]),
);

/** Documents the given error statuses of a route as RFC 9457 problem responses. */
export function ApiProblems(...statuses: number[]) {
  return applyDecorators(
    ApiExtraModels(ProblemView),
    ...[...statuses, 500].map((status) =>
      ApiResponse({
        status,
        description: PROBLEM_TYPES[KIND_OF[status] ?? 'INTERNAL'].title,
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(ProblemView) } } },
      }),
    ),
  );
}

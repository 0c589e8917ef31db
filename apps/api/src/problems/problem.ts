import type { FieldError } from '#tasks';

/** An RFC 9457 problem document, as every error of the API is sent. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  code: string;
  requestId?: string;
  errors?: FieldError[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The problem types this API sends; each is documented in documents/api.md. */
export const PROBLEM_TYPES = {
  VALIDATION: { type: '/problems/validation-error', title: 'Your request is not valid', status: 400 },
  MALFORMED_BODY: { type: '/problems/malformed-body', title: 'The request body is not valid JSON', status: 400 },
  UNAUTHORIZED: { type: '/problems/unauthorized', title: 'Missing or wrong API key', status: 401 },
  FORBIDDEN: { type: '/problems/forbidden', title: 'This API key may not do this', status: 403 },
  MALFORMED_REQUEST: { type: '/problems/malformed-request', title: 'The request is not valid HTTP', status: 400 },
  NOT_FOUND: { type: '/problems/not-found', title: 'Not found', status: 404 },
  METHOD_NOT_ALLOWED: { type: '/problems/method-not-allowed', title: 'Method not allowed', status: 405 },
  REQUEST_TIMEOUT: { type: '/problems/request-timeout', title: 'The request took too long to arrive', status: 408 },
  CONFLICT: { type: '/problems/conflict', title: 'Conflict with the current state', status: 409 },
  PAYLOAD_TOO_LARGE: { type: '/problems/payload-too-large', title: 'Request body too large', status: 413 },
  URI_TOO_LONG: { type: '/problems/uri-too-long', title: 'Request target too long', status: 414 },
  UNSUPPORTED_MEDIA_TYPE: { type: '/problems/unsupported-media-type', title: 'Unsupported content type', status: 415 },
  TOO_MANY_REQUESTS: { type: '/problems/too-many-requests', title: 'Too many requests', status: 429 },
  HEADERS_TOO_LARGE: { type: '/problems/headers-too-large', title: 'Request headers too large', status: 431 },
  INTERNAL: { type: '/problems/internal-error', title: 'Internal server error', status: 500 },
  UNAVAILABLE: { type: '/problems/service-unavailable', title: 'Service unavailable', status: 503 },
} as const;

export type ProblemKind = keyof typeof PROBLEM_TYPES;

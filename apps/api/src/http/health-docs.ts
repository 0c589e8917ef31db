import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { HealthController } from '#observability';

/**
 * The OpenAPI description of `/health`, `/ready` and `/metrics`. HealthController lives in
 * libs/observability, which relay and worker load too; its decorators are applied here, in the
 * only app that serves a document, so those two do not load @nestjs/swagger for nothing (12.7 MB
 * of RSS each, measured with `process.memoryUsage()` around the import).
 *
 * `security: []` says in the document's own terms that these routes need no key, where a missing
 * `security` would leave a reader (and Redocly's `security-defined` rule) guessing.
 */
const PUBLIC = { description: 'Public: no API key, no rate limit.', security: [] };

const READY_SCHEMA = {
  type: 'object' as const,
  properties: {
    status: { type: 'string' as const, enum: ['ready', 'unavailable'] },
    checks: { type: 'object' as const, additionalProperties: { type: 'string' as const, enum: ['up', 'down'] }, example: { postgres: 'up', rabbitmq: 'up' } },
    failed: { type: 'array' as const, items: { type: 'string' as const }, example: ['rabbitmq'] },
    detail: { type: 'string' as const },
  },
  required: ['status', 'checks'],
};

function describeMethod(name: 'health' | 'ready' | 'metricsText', ...decorators: MethodDecorator[]): void {
  const descriptor = Object.getOwnPropertyDescriptor(HealthController.prototype, name);
  if (!descriptor) throw new Error(`HealthController has no method ${name} to document`);
  for (const decorate of decorators) decorate(HealthController.prototype, name, descriptor);
}

// Once, when this module is first loaded: ApiTags appends, so a second call would list the tag twice.
ApiTags('health')(HealthController);
describeMethod(
  'health',
  ApiOperation({ summary: 'The process is alive', ...PUBLIC }),
  ApiResponse({
    status: 200,
    description: 'Alive.',
    schema: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } }, required: ['status'] },
  }),
);
describeMethod(
  'ready',
  ApiOperation({ summary: 'Its Postgres and RabbitMQ connections work', ...PUBLIC }),
  ApiResponse({ status: 200, description: 'Ready.', schema: READY_SCHEMA }),
  ApiResponse({ status: 503, description: 'Not ready: `failed` names what is unreachable and `detail` says why.', schema: READY_SCHEMA }),
);
describeMethod(
  'metricsText',
  ApiOperation({ summary: 'Prometheus metrics', ...PUBLIC }),
  ApiProduces('text/plain'),
  ApiResponse({ status: 200, description: 'Prometheus text format 0.0.4.', content: { 'text/plain': { schema: { type: 'string' } } } }),
);

import type { FastifyRequest } from 'fastify';
import { toProblem } from './problem.filter.js';

const request = { url: '/api/v1/tasks/0b6c6f0e-0000-4000-8000-000000000001/cancel?x=1', id: 'req-1', method: 'POST' } as unknown as FastifyRequest;

describe(toProblem.name, () => {
  it('answers a status change the database refused (a lost race) with 409, not 500', () => {
    const refused = Object.assign(new Error('illegal status transition of task t1: COMPLETED → CANCELLED is not allowed'), { code: 'TS001' });

    const { problem } = toProblem(refused, request);

    expect(problem).toMatchObject({
      status: 409,
      code: 'TASK_STATUS_CHANGED',
      instance: '/api/v1/tasks/0b6c6f0e-0000-4000-8000-000000000001/cancel',
      requestId: 'req-1',
    });
    expect(problem.detail).toContain('nothing was written');
    expect(problem.detail).not.toContain('TS001');
  });

  it('still answers an unknown error with a 500 that names no internals', () => {
    const { problem } = toProblem(Object.assign(new Error('relation "secret" does not exist'), { code: '42P01' }), request);

    expect(problem).toMatchObject({ status: 500, code: 'INTERNAL_ERROR' });
    expect(problem.detail).not.toContain('secret');
  });
});

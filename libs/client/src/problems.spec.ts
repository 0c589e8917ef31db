import { parseRetryAfter, problemFromResponse, TaskServiceProblem, UnavailableProblem, ValidationProblem } from './problems.js';

describe(parseRetryAfter.name, () => {
  const now = Date.parse('2026-11-26T00:00:00Z');

  it('reads whole seconds, and an HTTP date as the seconds from now (never negative)', () => {
    expect(parseRetryAfter('5', now)).toBe(5);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Thu, 26 Nov 2026 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Wed, 25 Nov 2026 23:00:00 GMT', now)).toBe(0);
  });

  it('is null when the header is absent, empty or unreadable', () => {
    expect(parseRetryAfter(null, now)).toBeNull();
    expect(parseRetryAfter('', now)).toBeNull();
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter('-5', now)).toBeNull();
  });
});

describe(problemFromResponse.name, () => {
  it('keeps the status of the answer, and the message names status, title and detail', () => {
    const sut = problemFromResponse(
      503,
      'Service Unavailable',
      { type: '/problems/service-unavailable', title: 'Service unavailable', detail: 'db down', status: 503 },
      '',
      '5',
    );
    expect(sut).toBeInstanceOf(UnavailableProblem);
    expect(sut).toMatchObject({ kind: 'unavailable', retryAfterSeconds: 5, name: 'UnavailableProblem', message: '503 Service unavailable: db down' });
  });

  it('gives a 400 without errors an empty list, and an unknown status the base class', () => {
    const bad = problemFromResponse(
      400,
      'Bad Request',
      { type: '/problems/malformed-body', title: 'The request body is not valid JSON', detail: 'x' },
      '',
      null,
    );
    expect(bad).toBeInstanceOf(ValidationProblem);
    expect(bad.errors).toEqual([]);
    const teapot = problemFromResponse(418, '', undefined, '', null);
    expect(teapot.constructor).toBe(TaskServiceProblem);
    expect(teapot).toMatchObject({ kind: 'other', type: 'about:blank', title: 'HTTP 418', detail: 'the service answered 418 without a problem document' });
  });
});

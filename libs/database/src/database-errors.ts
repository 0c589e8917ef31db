/**
 * Network errors and Postgres SQLSTATEs that mean "the database cannot be reached now"
 * (connection refused or lost, server shutting down or starting up), as opposed to an error
 * in what was asked. The first is worth waiting out; the second is not.
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
]);

const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connect ECONNREFUSED/i;

export function isDatabaseUnavailable(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
  return typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message);
}

/**
 * A Postgres error about the data of the statement (SQLSTATE class 22, data exception, e.g. an
 * unsupported Unicode escape in jsonb; class 54, a program limit such as a too deeply nested
 * value): the same write fails every time, so it is not worth retrying.
 */
export function isDataRejected(error: unknown): boolean {
  const { code } = (error ?? {}) as { code?: unknown };
  return typeof code === 'string' && /^(22|54)[0-9A-Z]{3}$/.test(code);
}

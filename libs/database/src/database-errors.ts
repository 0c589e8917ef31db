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
 * SQLSTATE of the `tasks_status_guard` trigger: a statement tried a status change the status
 * machine does not allow (for example a second terminal status). For a write that was meant
 * to be guarded, it means another writer changed the task first: a lost race.
 */
export const ILLEGAL_STATUS_TRANSITION_SQLSTATE = 'TS001';

export function isIllegalStatusTransition(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === ILLEGAL_STATUS_TRANSITION_SQLSTATE;
}

/**
 * Runs a status write whose caller already treats "matched no row" as "another writer got
 * there first", and gives `lost` when the database refused it as an illegal transition: the
 * same outcome, reached through the trigger instead of the WHERE clause. Other errors go on.
 */
export async function lostRaceAs<T>(write: Promise<T>, lost: T): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (isIllegalStatusTransition(error)) return lost;
    throw error;
  }
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

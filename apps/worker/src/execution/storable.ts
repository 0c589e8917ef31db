import { PermanentTaskError, unstorableIn, withStorableCharacters } from '#tasks';

/**
 * What Postgres can store of what a handler hands back. A `jsonb` value cannot hold a NUL
 * character (`\u0000`) or a lone UTF-16 surrogate (its JSON parser refuses both escapes), and
 * `JSON.stringify` refuses a BigInt or a cycle. Such a result can never be written, so trying
 * again cannot help: the worker fails the task at once with the reason this gives.
 */

export type SerializedResult = { ok: true; json: string } | { ok: false; reason: string };

class NotStorable extends Error {}

const NULL_RESULT: SerializedResult = Object.freeze({ ok: true, json: 'null' });

/** Why a string cannot be stored, or undefined when it can. */
function problemOf(text: string): string | undefined {
  switch (unstorableIn(text)) {
    case 'nul':
      return 'a NUL character (\\u0000)';
    case 'lone-surrogate':
      return 'a lone UTF-16 surrogate';
    case undefined:
      return undefined;
  }
}

/**
 * The result as the JSON text to store (`undefined` becomes `null`), or the reason it cannot be
 * stored: a string or key with a NUL character or a lone surrogate, a value JSON cannot
 * represent, or more than `maxBytes` bytes of JSON.
 */
export function serializeResult(result: unknown, maxBytes: number): SerializedResult {
  // No result (most handlers): nothing to check.
  if (result === undefined || result === null) return NULL_RESULT;
  let json: string | undefined;
  try {
    json = JSON.stringify(result ?? null, function (key: string, value: unknown) {
      const keyProblem = problemOf(key);
      if (keyProblem) throw new NotStorable(`a key of the result contains ${keyProblem}`);
      if (typeof value === 'string') {
        const problem = problemOf(value);
        if (problem) throw new NotStorable(`a string in the result contains ${problem}`);
      }
      return value;
    });
  } catch (error) {
    if (error instanceof NotStorable) return { ok: false, reason: error.message };
    return { ok: false, reason: `the result cannot be written as JSON: ${(error as Error).message}` };
  }
  // A function or a symbol at the top serialises to nothing: store null, as for undefined.
  json ??= 'null';
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > maxBytes) return { ok: false, reason: `the result is ${bytes} bytes of JSON, over TASK_RESULT_MAX_BYTES (${maxBytes})` };
  return { ok: true, json };
}

/** Error text Postgres can store anywhere (text and jsonb): NUL and lone surrogates become U+FFFD, cut at `maxChars`. */
export function storableText(text: string, maxChars = 10_000): string {
  const clean = withStorableCharacters(text);
  if (clean.length <= maxChars) return clean;
  // Do not cut between the two halves of a surrogate pair.
  const cut = /[\uD800-\uDBFF]/.test(clean[maxChars - 1]) ? maxChars - 1 : maxChars;
  return `${clean.slice(0, cut)}…`;
}

/** A handler's result Postgres cannot store: the task fails at once, with reason `result-not-storable`. */
export class ResultNotStorableError extends PermanentTaskError {
  override readonly code = 'TASK_RESULT_NOT_STORABLE';
  constructor(reason: string) {
    super(`the handler's result cannot be stored: ${reason}`);
    this.name = 'ResultNotStorableError';
  }
}

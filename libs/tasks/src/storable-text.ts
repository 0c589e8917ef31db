/**
 * What PostgreSQL cannot store in `text` or `jsonb`: a NUL character (`\u0000`) or a lone UTF-16
 * surrogate (its JSON parser refuses both escapes). The API refuses such input with a 400, the
 * worker refuses such a result and cleans such an error text; both ask here.
 */

/** A lone surrogate: a high one not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');
const NUL = '\u0000';

/** Why PostgreSQL cannot store `text`, or undefined when it can. */
export function unstorableIn(text: string): 'nul' | 'lone-surrogate' | undefined {
  if (text.includes(NUL)) return 'nul';
  if (LONE_SURROGATE.test(text)) return 'lone-surrogate';
  return undefined;
}

/** `text` with every NUL character and lone surrogate replaced by U+FFFD. */
export function withStorableCharacters(text: string): string {
  return text.replaceAll(NUL, '\uFFFD').replace(LONE_SURROGATES, '\uFFFD');
}

/** What a secret is replaced with, in a message or a field. */
export const REDACTED = '[redacted]';

/**
 * Fields pino censors wherever a call passes them, at the top level or one object down (an
 * `http.request` payload's `headers`, a request's `headers`). Our own call sites never pass
 * headers, keys or passwords; these catch the one that someday does. Header names are listed in
 * the spellings a caller would use (Node lower-cases incoming ones; a payload keeps its own).
 */
export const REDACT_PATHS: readonly string[] = (() => {
  const secretKeys = ['password', 'apiKey', 'apiKeys', 'authorization', 'Authorization', 'cookie', 'Cookie', 'token', 'secret'];
  const headerNames = [
    'authorization',
    'Authorization',
    'cookie',
    'Cookie',
    'set-cookie',
    'Set-Cookie',
    'proxy-authorization',
    'Proxy-Authorization',
    'x-api-key',
    'X-Api-Key',
    'X-API-Key',
  ];
  const headers = headerNames.map((name) => (name.includes('-') ? `headers["${name}"]` : `headers.${name}`));
  // An http.request payload's headers are the caller's secrets, whole.
  const payloadHeaders = ['payload.headers'];
  const paths = [...secretKeys, ...headers, ...payloadHeaders];
  return [...paths, ...paths.map((p) => `*.${p}`)];
})();

/** `scheme://user:password@` → `scheme://user:[redacted]@` (Postgres, RabbitMQ, any URL). */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@/,]*):([^\s@]*)@/gi;
/** `Bearer <token>`, `Basic <credentials>`: an Authorization header's value, wherever it is quoted. */
const AUTH_SCHEME = /\b(Bearer|bearer|Basic|basic)\s+[A-Za-z0-9._~+/=-]{8,}/g;
/** `password=...` in a libpq connection string, and secrets in a URL's query string. */
const SECRET_PARAM = /\b(password|passwd|pwd|access_token|token|api_key|apikey|secret|signature|sig)=([^\s&;,'"]+)/gi;

/**
 * Removes what looks like a credential from free text: the password of a URL, an
 * Authorization header's credentials, a `password=` or `token=` parameter, and each of
 * `secrets` (the configured API keys) wherever it appears. Applied to every message, to every
 * string field and to an error's message and stack before a line is written, because the
 * messages of pg, amqplib and fetch may quote a connection target or a request.
 */
export function scrubSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) if (secret && out.includes(secret)) out = out.split(secret).join(REDACTED);
  if (out.includes('://')) out = out.replace(URL_PASSWORD, (_m, scheme: string, user: string) => `${scheme}${user}:${REDACTED}@`);
  if (out.length >= 6) {
    out = out.replace(AUTH_SCHEME, (_m, scheme: string) => `${scheme} ${REDACTED}`);
    if (out.includes('=')) out = out.replace(SECRET_PARAM, (_m, name: string) => `${name}=${REDACTED}`);
  }
  return out;
}

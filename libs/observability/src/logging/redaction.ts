/** What a secret is replaced with, in a message or a field. */
export const REDACTED = '[redacted]';

/** Field names whose value is a credential, in any letter case, wherever a line carries them. */
const SECRET_KEYS = new Set(
  ['password', 'passwd', 'apikey', 'apikeys', 'api_key', 'authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'token', 'secret'].map(
    (k) => k.toLowerCase(),
  ),
);

/** Whether a field of this name holds a credential (any letter case). */
export function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(key.toLowerCase());
}

/**
 * Fields pino's `redact` censors at the top of a line and in a `headers` or an `http.request`
 * `payload` field (whose `headers` go whole). Exact paths only: each wildcard path costs pino
 * a walk of every line (44 of them made a line ten times dearer); {@link censorFields} covers
 * the other spellings and depths for the rare line that passes an object. Our own call sites
 * never pass headers, keys or passwords; these catch the one that someday does.
 */
export const REDACT_PATHS: readonly string[] = [
  'password',
  'apiKey',
  'apiKeys',
  'authorization',
  'cookie',
  'token',
  'secret',
  'headers.authorization',
  'headers.Authorization',
  'headers.cookie',
  'headers.Cookie',
  'headers["set-cookie"]',
  'headers["proxy-authorization"]',
  'headers["x-api-key"]',
  'payload.headers',
];

/**
 * A copy of an object field with every credential-named key (any case, {@link SECRET_KEYS})
 * censored and every string scrubbed (see {@link scrubSecrets}), `depth` objects down; the
 * `headers` of an `http.request` payload go whole.
 */
export function censorFields(value: Record<string, unknown>, secrets: readonly string[] = [], depth = 3): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (isSecretKey(key)) out[key] = REDACTED;
    else if (key === 'headers' && 'url' in value) out[key] = REDACTED;
    else if (typeof field === 'string') out[key] = scrubSecrets(field, secrets);
    else if (field !== null && typeof field === 'object' && !Array.isArray(field) && depth > 1) {
      out[key] = censorFields(field as Record<string, unknown>, secrets, depth - 1);
    } else out[key] = field;
  }
  return out;
}

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

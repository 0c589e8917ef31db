import type { AppConfig } from './config.types.js';

/**
 * Passwords anyone can guess: the images' and libraries' defaults (`postgres`, RabbitMQ's
 * `guest`) and the example values of `.env.example` and docker-compose.yml. A deployment that
 * still runs with one of them is told so at start (test/unit/docker-compose.spec.ts checks every
 * example value is on this list).
 */
export const KNOWN_DEFAULT_PASSWORDS: readonly string[] = ['postgres', 'guest', 'change-me-rabbitmq'];

/**
 * What makes this configuration unsafe to deploy as it is: a known default password for
 * Postgres or RabbitMQ and, for the API, no API keys. Each entry names the variable to change.
 * Passwords are never included.
 */
export function insecureDefaults(config: AppConfig, app: { servesApi: boolean }): string[] {
  const found: string[] = [];
  const postgresPassword = config.postgres.url ? passwordOf(config.postgres.url) : config.postgres.password;
  if (postgresPassword !== null && KNOWN_DEFAULT_PASSWORDS.includes(postgresPassword)) {
    found.push(`the Postgres password is a well-known default (set ${config.postgres.url ? 'DATABASE_URL' : 'POSTGRES_PASSWORD'})`);
  }
  const listenPassword = config.outbox.listenUrl ? passwordOf(config.outbox.listenUrl) : null;
  if (listenPassword !== null && KNOWN_DEFAULT_PASSWORDS.includes(listenPassword)) {
    found.push('the Postgres password of OUTBOX_LISTEN_DATABASE_URL is a well-known default');
  }
  // amqplib logs in as guest/guest when the URL names no user.
  const brokerPasswords = config.rabbitmq.urls.map((url) => passwordOf(url) ?? 'guest');
  if (brokerPasswords.some((p) => KNOWN_DEFAULT_PASSWORDS.includes(p))) {
    found.push('the RabbitMQ password is a well-known default (set RABBITMQ_URL, and RABBITMQ_DEFAULT_PASS for docker compose)');
  }
  if (app.servesApi && config.api.keys.length === 0 && config.api.readOnlyKeys.length === 0)
    found.push('API_KEYS is empty, so anyone who reaches the API can use it');
  return found;
}

/**
 * The one warning an app logs at start when NODE_ENV=production and {@link insecureDefaults}
 * found something; null otherwise. A warning, not a refusal: the quick start keeps working.
 */
export function productionWarning(config: AppConfig, app: { servesApi: boolean }): string | null {
  if (!config.production) return null;
  const found = insecureDefaults(config, app);
  if (found.length === 0) return null;
  return `NODE_ENV=production with insecure defaults: ${found.join('; ')}. See documents/security.md.`;
}

function passwordOf(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.username === '' && parsed.password === '' ? null : decodeURIComponent(parsed.password);
  } catch {
    return null;
  }
}

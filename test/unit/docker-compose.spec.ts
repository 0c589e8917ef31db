import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { KNOWN_DEFAULT_PASSWORDS } from '#config';

/**
 * docker-compose.yml against the code it runs (documents/deployment.md): the services, their entry points,
 * health checks and start order, and an environment that cannot drift from .env.example.
 */
interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  ports?: string[];
  container_name?: string;
  restart?: string;
  stop_grace_period?: string;
}

const root = process.cwd();
const read = (file: string) => readFileSync(resolve(root, file), 'utf8');

// `merge: true` resolves the `<<: *anchor` keys the way Compose does.
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };
const services = compose.services;

const APP_SERVICES = ['api', 'relay', 'worker_high', 'worker'];
const ENTRY_POINTS: Record<string, string> = {
  migrate: 'dist/apps/migrate/src/main.js',
  api: 'dist/apps/api/src/main.js',
  relay: 'dist/apps/relay/src/main.js',
  worker_high: 'dist/apps/worker/src/main.js',
  worker: 'dist/apps/worker/src/main.js',
};

/** The variable names of .env.example (its KEY=VALUE lines). */
function envExampleNames(): Set<string> {
  const names = read('.env.example')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.slice(0, line.indexOf('=')));
  return new Set(names);
}

/** The KEY=VALUE pairs of .env.example. */
function envExample(): Record<string, string> {
  return Object.fromEntries(
    read('.env.example')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/** Compose's `${NAME:-default}` and `${NAME}` with `env` (as Compose reads .env), else the default. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, fallback?: string) => (env[name] ? env[name] : (fallback ?? '')));
}

/** Every `${NAME...}` the compose file reads from .env. */
function interpolatedNames(): string[] {
  return [...new Set([...read('docker-compose.yml').matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]))].sort();
}

/** dist/apps/api/src/main.js → apps/api/src/main.ts */
function sourceOf(script: string): string {
  return script.replace(/^dist\//, '').replace(/\.js$/, '.ts');
}

/** `40s`, `1m30s` → seconds. */
function seconds(duration: string): number {
  const parts = [...duration.matchAll(/(\d+)(h|m|s)/g)];
  return parts.reduce((total, [, n, unit]) => total + Number(n) * { h: 3600, m: 60, s: 1 }[unit as 'h' | 'm' | 's'], 0);
}

describe('docker-compose.yml', () => {
  it('defines postgres, rabbitmq, migrate, api, relay, worker_high and worker', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'migrate', 'postgres', 'rabbitmq', 'relay', 'worker', 'worker_high']);
  });

  it('has no top-level version key (Compose spec)', () => {
    expect(Object.keys(parse(read('docker-compose.yml')))).not.toContain('version');
  });

  it.each(Object.entries(ENTRY_POINTS))('runs %s with node %s, compiled from a source that exists', (name, script) => {
    expect(services[name].command).toEqual(['node', script]);
    expect(existsSync(resolve(root, sourceOf(script)))).toBe(true);
  });

  it.each(['migrate', ...APP_SERVICES])('builds the image for %s from the Dockerfile', (name) => {
    expect(services[name].build).toBe('.');
  });

  it('runs migrate once, after postgres is healthy', () => {
    expect(services.migrate.restart).toBe('no');
    expect(services.migrate.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
  });

  it.each(APP_SERVICES)('starts %s only after migrate succeeded and rabbitmq is healthy', (name) => {
    expect(services[name].depends_on).toEqual({
      migrate: { condition: 'service_completed_successfully' },
      rabbitmq: { condition: 'service_healthy' },
    });
  });

  it('checks postgres with pg_isready and rabbitmq with rabbitmq-diagnostics ping', () => {
    expect(services.postgres.healthcheck?.test.join(' ')).toContain('pg_isready');
    expect(services.rabbitmq.healthcheck?.test).toEqual(['CMD', 'rabbitmq-diagnostics', '-q', 'ping']);
  });

  it.each(APP_SERVICES)('gives %s a health check on the port it listens on', (name) => {
    const environment = services[name].environment ?? {};
    const port = name === 'api' ? environment.API_PORT : environment.HEALTH_CHECK_PORT;
    expect(port).toBeDefined();
    expect(services[name].healthcheck?.test.join(' ')).toContain(`:${port}/`);
  });

  it('dedicates worker_high to tasks.high and lets worker serve all three queues', () => {
    expect(services.worker_high.environment?.WORKER_QUEUES).toBe('tasks.high');
    expect(services.worker.environment?.WORKER_QUEUES).toBe('tasks.high,tasks.medium,tasks.low');
  });

  it('lets worker scale (--scale worker=3): no container_name and no host ports', () => {
    expect(services.worker.container_name).toBeUndefined();
    expect(services.worker.ports).toBeUndefined();
  });

  it('publishes the api, and AMQP and the RabbitMQ management UI on 127.0.0.1 only', () => {
    expect(services.api.ports).toContain('3000:3000');
    expect(services.rabbitmq.ports).toEqual(['127.0.0.1:5672:5672', '127.0.0.1:15672:15672']);
  });

  it('publishes no port of postgres or rabbitmq on every interface', () => {
    const open = ['postgres', 'rabbitmq'].flatMap((name) =>
      (services[name].ports ?? []).filter((port) => !port.startsWith('127.0.0.1:')).map((port) => `${name} ${port}`),
    );
    expect(open).toEqual([]);
  });

  it('gives rabbitmq a user, password and vhost of its own from .env, never guest', () => {
    for (const env of [{}, envExample()]) {
      const broker = Object.fromEntries(Object.entries(services.rabbitmq.environment ?? {}).map(([k, v]) => [k, interpolate(v, env)]));
      expect(Object.keys(broker).sort()).toEqual(['RABBITMQ_DEFAULT_PASS', 'RABBITMQ_DEFAULT_USER', 'RABBITMQ_DEFAULT_VHOST']);
      expect(broker.RABBITMQ_DEFAULT_USER).not.toBe('guest');
      expect(broker.RABBITMQ_DEFAULT_VHOST).not.toBe('/');
    }
    expect(services.rabbitmq.environment?.RABBITMQ_DEFAULT_PASS).toMatch(/^\$\{RABBITMQ_DEFAULT_PASS:-/);
  });

  it('takes the Postgres password from .env', () => {
    expect(services.postgres.environment?.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:-/);
  });

  it('lists every variable it reads from .env in .env.example', () => {
    const known = envExampleNames();
    expect(interpolatedNames().filter((name) => !known.has(name))).toEqual([]);
    expect(interpolatedNames()).toEqual(
      expect.arrayContaining(['POSTGRES_PASSWORD', 'RABBITMQ_DEFAULT_PASS', 'RABBITMQ_DEFAULT_USER', 'RABBITMQ_DEFAULT_VHOST', 'API_KEYS']),
    );
  });

  it('ships only example passwords the apps warn about in production', () => {
    const example = envExample();
    const defaults = [...read('docker-compose.yml').matchAll(/\$\{(POSTGRES_PASSWORD|RABBITMQ_DEFAULT_PASS):-([^}]*)\}/g)].map((m) => m[2]);
    expect(defaults.length).toBeGreaterThanOrEqual(2);
    for (const password of [...defaults, example.POSTGRES_PASSWORD, example.RABBITMQ_DEFAULT_PASS, new URL(example.RABBITMQ_URL).password]) {
      expect(KNOWN_DEFAULT_PASSWORDS).toContain(password);
    }
  });

  it.each(['migrate', ...APP_SERVICES])('gives %s only variables that .env.example lists', (name) => {
    const known = envExampleNames();
    const unknown = Object.keys(services[name].environment ?? {}).filter((variable) => !known.has(variable));
    expect(unknown).toEqual([]);
  });

  it.each(['migrate', ...APP_SERVICES])('points %s at the postgres and rabbitmq services with their credentials, with or without a .env', (name) => {
    for (const env of [
      {},
      envExample(),
      { POSTGRES_PASSWORD: 'pg-secret', RABBITMQ_DEFAULT_USER: 'u1', RABBITMQ_DEFAULT_PASS: 'mq-secret', RABBITMQ_DEFAULT_VHOST: 'v1' },
    ]) {
      const app = services[name].environment ?? {};
      const broker = services.rabbitmq.environment ?? {};
      const url = new URL(interpolate(app.RABBITMQ_URL, env));
      expect(app.POSTGRES_HOST).toBe('postgres');
      expect(interpolate(app.POSTGRES_PASSWORD, env)).toBe(interpolate(services.postgres.environment?.POSTGRES_PASSWORD ?? '', env));
      expect({ host: url.host, user: url.username, password: url.password, vhost: url.pathname.slice(1) }).toEqual({
        host: 'rabbitmq:5672',
        user: interpolate(broker.RABBITMQ_DEFAULT_USER, env),
        password: interpolate(broker.RABBITMQ_DEFAULT_PASS, env),
        vhost: interpolate(broker.RABBITMQ_DEFAULT_VHOST, env),
      });
    }
  });

  it.each(APP_SERVICES)('restarts %s and gives it longer to stop than SHUTDOWN_TIMEOUT_SECONDS', (name) => {
    const service = services[name];
    expect(service.restart).toBe('unless-stopped');
    const shutdownTimeout = Number(service.environment?.SHUTDOWN_TIMEOUT_SECONDS ?? 30);
    expect(seconds(service.stop_grace_period ?? '10s')).toBeGreaterThan(shutdownTimeout);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('runs the api by default, as the node user, in production', () => {
    expect(dockerfile).toContain('CMD ["node", "dist/apps/api/src/main.js"]');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^ENV NODE_ENV=production$/m);
  });
});

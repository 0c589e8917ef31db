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
  profiles?: string[];
  hostname?: string;
  volumes?: string[];
}

const root = process.cwd();
const read = (file: string) => readFileSync(resolve(root, file), 'utf8');

// `merge: true` resolves the `<<: *anchor` keys the way Compose does.
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };
const services = compose.services;

const APP_SERVICES = ['api', 'relay', 'worker_high', 'worker'];
/** The "cluster" profile's copy of the apps, on the three-node RabbitMQ cluster. */
const CLUSTER_APPS = APP_SERVICES.map((name) => `${name}_cluster`);
const CLUSTER_NODES = ['rabbitmq-1', 'rabbitmq-2', 'rabbitmq-3'];
/** The "observability" profile: Prometheus and Grafana, configured from deploy/observability. */
const OBSERVABILITY = ['prometheus', 'grafana'];
const ALL_APPS = [...APP_SERVICES, ...CLUSTER_APPS];
const MIGRATES = ['migrate', 'migrate_cluster'];
const ENTRY_POINTS: Record<string, string> = {
  migrate: 'dist/apps/migrate/src/main.js',
  api: 'dist/apps/api/src/main.js',
  relay: 'dist/apps/relay/src/main.js',
  worker_high: 'dist/apps/worker/src/main.js',
  worker: 'dist/apps/worker/src/main.js',
};
for (const name of ['migrate', ...APP_SERVICES]) ENTRY_POINTS[`${name}_cluster`] = ENTRY_POINTS[name];

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
  it("defines postgres, rabbitmq, migrate, api, relay, worker_high and worker, the cluster profile's nodes and apps, and Prometheus and Grafana", () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'api',
        'migrate',
        'postgres',
        'rabbitmq',
        'relay',
        'worker',
        'worker_high',
        ...CLUSTER_NODES,
        'migrate_cluster',
        ...CLUSTER_APPS,
        ...OBSERVABILITY,
      ].sort(),
    );
  });

  it('runs the single-broker system without a profile, the cluster only in "cluster", Prometheus and Grafana only in "observability"', () => {
    const profiled = Object.entries(services).filter(([, service]) => service.profiles !== undefined);
    expect(Object.fromEntries(profiled.map(([name, service]) => [name, service.profiles]))).toEqual({
      ...Object.fromEntries([...CLUSTER_NODES, 'migrate_cluster', ...CLUSTER_APPS].map((name) => [name, ['cluster']])),
      ...Object.fromEntries(OBSERVABILITY.map((name) => [name, ['observability']])),
    });
  });

  it('has no top-level version key (Compose spec)', () => {
    expect(Object.keys(parse(read('docker-compose.yml')))).not.toContain('version');
  });

  it.each(Object.entries(ENTRY_POINTS))('runs %s with node %s, compiled from a source that exists', (name, script) => {
    expect(services[name].command).toEqual(['node', script]);
    expect(existsSync(resolve(root, sourceOf(script)))).toBe(true);
  });

  it.each([...MIGRATES, ...ALL_APPS])('builds the image for %s from the Dockerfile', (name) => {
    expect(services[name].build).toBe('.');
  });

  it.each(MIGRATES)('runs %s once, after postgres is healthy', (name) => {
    expect(services[name].restart).toBe('no');
    expect(services[name].depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
  });

  it.each(CLUSTER_APPS)('starts %s only after migrate_cluster succeeded and all three nodes are healthy', (name) => {
    expect(services[name].depends_on).toEqual({
      migrate_cluster: { condition: 'service_completed_successfully' },
      'rabbitmq-1': { condition: 'service_healthy' },
      'rabbitmq-2': { condition: 'service_healthy' },
      'rabbitmq-3': { condition: 'service_healthy' },
    });
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

  it.each(ALL_APPS)('gives %s a health check on the port it listens on', (name) => {
    const environment = services[name].environment ?? {};
    const port = name.startsWith('api') ? environment.API_PORT : environment.HEALTH_CHECK_PORT;
    expect(port).toBeDefined();
    expect(services[name].healthcheck?.test.join(' ')).toContain(`:${port}/`);
  });

  it.each(['', '_cluster'])('dedicates worker_high%s to tasks.high and lets worker%s serve all three queues', (suffix) => {
    expect(services[`worker_high${suffix}`].environment?.WORKER_QUEUES).toBe('tasks.high');
    expect(services[`worker${suffix}`].environment?.WORKER_QUEUES).toBe('tasks.high,tasks.medium,tasks.low');
  });

  it('lets worker scale (--scale worker=3): no container_name and no host ports', () => {
    expect(services.worker.container_name).toBeUndefined();
    expect(services.worker.ports).toBeUndefined();
  });

  it('publishes the api, and AMQP and the RabbitMQ management UI on 127.0.0.1 only', () => {
    expect(services.api.ports).toContain('3000:3000');
    expect(services.rabbitmq.ports).toEqual(['127.0.0.1:5672:5672', '127.0.0.1:15672:15672']);
  });

  it("publishes the cluster's api on 3100 and only rabbitmq-1's management UI, on 127.0.0.1", () => {
    expect(services.api_cluster.ports).toEqual(['3100:3000']);
    expect(CLUSTER_NODES.map((name) => services[name].ports)).toEqual([['127.0.0.1:15673:15672'], undefined, undefined]);
  });

  it('publishes no port of postgres or rabbitmq on every interface', () => {
    const open = ['postgres', 'rabbitmq', ...CLUSTER_NODES].flatMap((name) =>
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

  it.each([...MIGRATES, ...ALL_APPS])('gives %s only variables that .env.example lists', (name) => {
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

  it.each(ALL_APPS)('restarts %s and gives it longer to stop than SHUTDOWN_TIMEOUT_SECONDS', (name) => {
    const service = services[name];
    expect(service.restart).toBe('unless-stopped');
    const shutdownTimeout = Number(service.environment?.SHUTDOWN_TIMEOUT_SECONDS ?? 30);
    expect(seconds(service.stop_grace_period ?? '10s')).toBeGreaterThan(shutdownTimeout);
  });
});

describe('docker-compose.yml, the "cluster" profile', () => {
  const SAMPLE = { RABBITMQ_DEFAULT_USER: 'u1', RABBITMQ_DEFAULT_PASS: 'mq-secret', RABBITMQ_DEFAULT_VHOST: 'v1', RABBITMQ_ERLANG_COOKIE: 'c00kie' };
  const environments = [{}, envExample(), SAMPLE];

  it.each(CLUSTER_NODES)('runs %s under its own host name, with the broker user and the Erlang cookie from .env', (name) => {
    const node = services[name];
    expect(node.hostname).toBe(name);
    expect(node.image).toMatch(/^rabbitmq:3\.\d+-management-alpine$/);
    expect(node.environment?.RABBITMQ_ERLANG_COOKIE).toMatch(/^\$\{RABBITMQ_ERLANG_COOKIE:-/);
    for (const env of environments) {
      const broker = Object.fromEntries(Object.entries(node.environment ?? {}).map(([k, v]) => [k, interpolate(v, env)]));
      expect(broker.RABBITMQ_ERLANG_COOKIE).toBe((env as Record<string, string>).RABBITMQ_ERLANG_COOKIE ?? 'change-me-erlang-cookie');
      for (const key of ['RABBITMQ_DEFAULT_USER', 'RABBITMQ_DEFAULT_PASS', 'RABBITMQ_DEFAULT_VHOST']) {
        expect(broker[key]).toBe(interpolate(services.rabbitmq.environment?.[key] ?? '', env));
      }
    }
    expect(node.volumes).toEqual(['./deploy/compose/rabbitmq-cluster.conf:/etc/rabbitmq/conf.d/20-cluster.conf:ro', `${name}-data:/var/lib/rabbitmq`]);
  });

  it('lists the three nodes as peers in the mounted rabbitmq-cluster.conf, and starts rabbitmq-2 and -3 once rabbitmq-1 is healthy', () => {
    const conf = read('deploy/compose/rabbitmq-cluster.conf');
    expect(conf).toMatch(/^cluster_formation\.peer_discovery_backend = classic_config$/m);
    const peers = [...conf.matchAll(/^cluster_formation\.classic_config\.nodes\.\d+ = rabbit@(\S+)$/gm)].map((m) => m[1]);
    expect(peers).toEqual(CLUSTER_NODES);
    expect(services['rabbitmq-1'].depends_on).toBeUndefined();
    for (const name of ['rabbitmq-2', 'rabbitmq-3']) expect(services[name].depends_on).toEqual({ 'rabbitmq-1': { condition: 'service_healthy' } });
  });

  it.each(['migrate_cluster', ...CLUSTER_APPS])('points %s at all three nodes (comma list), quorum queues and a database of its own', (name) => {
    const app = services[name].environment ?? {};
    expect(app.QUEUE_TYPE).toBe('quorum');
    expect(app.POSTGRES_DB).toBe('tasks_cluster');
    expect(app.POSTGRES_DB).not.toBe(services.migrate.environment?.POSTGRES_DB);
    for (const env of environments) {
      const urls = interpolate(app.RABBITMQ_URL, env)
        .split(',')
        .map((url) => new URL(url));
      const broker = services['rabbitmq-1'].environment ?? {};
      expect(urls.map((url) => ({ host: url.host, user: url.username, password: url.password, vhost: url.pathname.slice(1) }))).toEqual(
        CLUSTER_NODES.map((node) => ({
          host: `${node}:5672`,
          user: interpolate(broker.RABBITMQ_DEFAULT_USER, env),
          password: interpolate(broker.RABBITMQ_DEFAULT_PASS, env),
          vhost: interpolate(broker.RABBITMQ_DEFAULT_VHOST, env),
        })),
      );
    }
  });

  it.each(CLUSTER_APPS)('gives %s the same settings as its single-broker twin but for the database, the broker and the queue type', (name) => {
    const twin = name.replace(/_cluster$/, '');
    const differ = Object.keys({ ...services[name].environment, ...services[twin].environment }).filter(
      (key) => services[name].environment?.[key] !== services[twin].environment?.[key],
    );
    expect(differ.sort()).toEqual(['POSTGRES_DB', 'QUEUE_TYPE', 'RABBITMQ_URL']);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const runtime = stages.at(-1) ?? '';

  it('runs the api by default, as uid 1000 (numeric, so runAsNonRoot can check it), in production', () => {
    expect(runtime).toContain('CMD ["node", "dist/apps/api/src/main.js"]');
    expect(runtime).toMatch(/^USER 1000:1000$/m);
    expect(runtime).toMatch(/^ENV NODE_ENV=production$/m);
  });

  it('builds in one stage and ships the production dependencies of another: no npm install, sources or tests in the last', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(runtime).not.toMatch(/npm (ci|install)/);
    const copied = [...runtime.matchAll(/^COPY (?:--\S+ )*(\S+)/gm)].map((m) => m[1]);
    expect(copied.filter((source) => /^(apps|libs|migrations|test|bench|tsconfig)/.test(source))).toEqual([]);
  });

  it('copies into the build stage every script `npm run build` runs (it builds the web dashboard too)', () => {
    const build = stages.find((stage) => /RUN npm run build/.test(stage)) ?? '';
    const scripts = [...(JSON.parse(read('package.json')).scripts.build as string).matchAll(/\bscripts\/\S+/g)].map((m) => m[0]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) expect(build).toContain(`COPY ${script} ./${script}`);
  });

  it('checks /health with node (no curl in the slim image) through a script the image holds', () => {
    const healthcheck = /^HEALTHCHECK .*CMD \["node", "(scripts\/[^"]+)"\]$/m.exec(runtime);
    expect(healthcheck).not.toBeNull();
    expect(runtime).toContain(`COPY ${healthcheck![1]} ./${healthcheck![1]}`);
    const script = read(healthcheck![1]);
    expect(script).toContain("path: '/health'");
    expect(script).toMatch(/API_PORT/);
    expect(script).toMatch(/HEALTH_CHECK_PORT/);
  });
});

describe('docker-compose.yml, the "observability" profile', () => {
  /** The host side of each bind mount of `name` (`./path:/target:ro`). */
  const bindSources = (name: string) =>
    (services[name].volumes ?? [])
      .filter((volume) => volume.startsWith('./'))
      .map((volume) => ({ source: volume.split(':')[0], target: volume.split(':')[1] }));

  it.each(OBSERVABILITY)('mounts into %s only files of deploy/observability that exist', (name) => {
    const mounts = bindSources(name);
    expect(mounts.length).toBeGreaterThan(0);
    for (const { source } of mounts) {
      expect(source).toMatch(/^\.\/deploy\/observability\//);
      expect(existsSync(resolve(root, source))).toBe(true);
    }
  });

  it.each(OBSERVABILITY)('publishes %s on 127.0.0.1 only', (name) => {
    expect((services[name].ports ?? []).filter((port) => !port.startsWith('127.0.0.1:'))).toEqual([]);
  });

  it('loads the configuration and the alert rules into Prometheus where the configuration names them', () => {
    const config = parse(read('deploy/observability/prometheus/prometheus.yml')) as { rule_files: string[] };
    const targets = bindSources('prometheus').map((m) => m.target);
    expect(services.prometheus.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
    expect(targets).toContain('/etc/prometheus/prometheus.yml');
    // Rule files are relative to the configuration's folder.
    for (const file of config.rule_files) expect(targets).toContain(`/etc/prometheus/${file}`);
  });

  it('scrapes the api on API_PORT, the relay and both worker services on HEALTH_CHECK_PORT, by their compose names', () => {
    const config = parse(read('deploy/observability/prometheus/prometheus.yml')) as {
      scrape_configs: { job_name: string; static_configs?: { targets: string[] }[]; dns_sd_configs?: { names: string[]; port: number }[] }[];
    };
    const targets = config.scrape_configs.flatMap((job) => [
      ...(job.static_configs ?? []).flatMap((c) => c.targets),
      ...(job.dns_sd_configs ?? []).flatMap((c) => c.names.map((name) => `${name}:${c.port}`)),
    ]);
    const env = services.api.environment ?? {};
    expect(targets.sort()).toEqual(
      [
        `api:${env.API_PORT}`,
        `relay:${services.relay.environment?.HEALTH_CHECK_PORT}`,
        ...['worker', 'worker_high'].map((n) => `${n}:${services[n].environment?.HEALTH_CHECK_PORT}`),
      ].sort(),
    );
    expect(config.scrape_configs.map((job) => job.job_name).sort()).toEqual(['api', 'relay', 'worker']);
  });

  it("provisions Grafana's data source at the Prometheus service, and the dashboards from the folder mounted with the dashboard", () => {
    const datasources = parse(read('deploy/observability/grafana/provisioning/datasources/prometheus.yml')) as { datasources: { uid: string; url: string }[] };
    expect(datasources.datasources).toEqual([expect.objectContaining({ uid: 'prometheus', url: 'http://prometheus:9090' })]);
    const providers = parse(read('deploy/observability/grafana/provisioning/dashboards/task-service.yml')) as { providers: { options: { path: string } }[] };
    const mounted = bindSources('grafana').find((m) => m.source === './deploy/observability/grafana/dashboards');
    expect(providers.providers.map((p) => p.options.path)).toEqual([mounted?.target]);
  });

  it("takes Grafana's admin password from .env", () => {
    expect(services.grafana.environment?.GF_SECURITY_ADMIN_PASSWORD).toMatch(/^\$\{GRAFANA_ADMIN_PASSWORD:-/);
  });
});

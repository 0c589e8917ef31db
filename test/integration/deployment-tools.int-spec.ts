import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { type Manifest, parseManifests, podTemplate, schemaErrors } from '../unit/support/kubernetes.js';
import { freePort } from './support/private-services.js';
import { Suite } from './support/suite.js';

/**
 * The deployment files through the tools that read them: docker-compose.yml through
 * `docker-compose config -q` (Debian's docker-compose needs no engine for it; .ci/run installs
 * it), the Kubernetes overlay rendered by Kustomize (`kubectl kustomize`, where kubectl is
 * installed) and checked against the schemas, and the image's health check script against real
 * apps, and the Prometheus configuration and alert rules through `promtool` (Debian's prometheus
 * package; .ci/run installs it). A missing tool skips its part, saying so.
 */
const root = process.cwd();

function which(binary: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir && existsSync(join(dir, binary))) return join(dir, binary);
  return null;
}

function run(file: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    execFile(file, args, { cwd: options.cwd ?? root, env: options.env ?? process.env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolvePromise({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

const compose = which('docker-compose');
const kubectl = which('kubectl');
const promtool = which('promtool');
if (!compose)
  console.warn('deployment-tools: docker-compose checks skipped: docker-compose is not installed (apt-get install -y docker-compose, which .ci/run does)');
if (!promtool) console.warn('deployment-tools: promtool checks skipped: promtool is not installed (apt-get install -y prometheus, which .ci/run does)');
if (!kubectl)
  console.warn('deployment-tools: Kustomize rendering skipped: kubectl is not installed (test/unit/kubernetes-manifests.spec.ts still checks every file)');

// Only PATH and HOME: no POSTGRES_PASSWORD or the like of this shell reaches the interpolation.
const cleanEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' };

(compose ? describe : describe.skip)('docker-compose config -q', () => {
  it.each([
    ['without a .env', []],
    ['with the values of .env.example', ['--env-file', '.env.example']],
    ['with the cluster profile', ['--profile', 'cluster']],
    ['with the observability profile', ['--profile', 'observability']],
  ])('validates docker-compose.yml %s', async (_, options) => {
    const result = await run(compose!, [...options, '-f', 'docker-compose.yml', 'config', '-q'], { env: cleanEnv });
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('fails on a compose file that is not valid (a check that can fail)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'compose-check-'));
    try {
      const broken = readFileSync(resolve(root, 'docker-compose.yml'), 'utf8').replace('restart: unless-stopped', 'restart: [unless-stopped]');
      writeFileSync(join(dir, 'docker-compose.yml'), broken);
      const result = await run(compose!, ['-f', join(dir, 'docker-compose.yml'), 'config', '-q'], { env: cleanEnv, cwd: dir });
      expect(result.code).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

(promtool ? describe : describe.skip)('promtool on deploy/observability/prometheus', () => {
  const dir = resolve(root, 'deploy/observability/prometheus');

  it('checks the scrape configuration and the rule file it loads', async () => {
    const result = await run(promtool!, ['check', 'config', 'prometheus.yml'], { cwd: dir });
    expect(result.stdout).toContain('SUCCESS: 1 rule files found');
    expect(result.code).toBe(0);
  });

  it('checks the alert rules', async () => {
    const result = await run(promtool!, ['check', 'rules', 'alerts.yml'], { cwd: dir });
    expect(result.code).toBe(0);
  });

  it('runs the rules unit tests: each alert fires on what should page and stays quiet on a healthy system', async () => {
    const result = await run(promtool!, ['test', 'rules', 'alerts.test.yml'], { cwd: dir });
    expect({ code: result.code, stdout: result.stdout.trim() }).toEqual({ code: 0, stdout: 'Unit Testing:  alerts.test.yml\n  SUCCESS' });
  });

  it('fails on a rule whose expression does not parse (a check that can fail)', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'promtool-check-'));
    try {
      writeFileSync(
        join(tmp, 'alerts.yml'),
        readFileSync(join(dir, 'alerts.yml'), 'utf8').replace('max(outbox_oldest_pending_age_seconds) > 60', 'max(outbox_oldest_pending_age_seconds > 60'),
      );
      const result = await run(promtool!, ['check', 'rules', join(tmp, 'alerts.yml')]);
      expect(result.code).not.toBe(0);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

(kubectl ? describe : describe.skip)('kubectl kustomize deploy/kubernetes/overlays/example', () => {
  let dir: string;

  /** Renders the example overlay in a copy of deploy/kubernetes, with secrets.env from its example, and `components` as its autoscaling. */
  async function render(component: 'keda' | 'hpa'): Promise<Manifest[]> {
    const overlay = join(dir, 'kubernetes', 'overlays', 'example');
    const kustomization = join(overlay, 'kustomization.yaml');
    writeFileSync(kustomization, readFileSync(kustomization, 'utf8').replace(/^(\s*- \.\.\/\.\.\/components\/)(keda|hpa)$/m, `$1${component}`));
    const result = await run(kubectl!, ['kustomize', overlay]);
    if (result.code !== 0) throw new Error(`kubectl kustomize failed: ${result.stderr}`);
    // Kustomize wraps a Secret's base64 at 70 columns; the API server's decoder skips the line
    // breaks, the schema's "byte" format does not: join the lines before validating.
    return parseManifests(result.stdout, `rendered with ${component}`).map((o) =>
      o.kind === 'Secret' && o.data ? { ...o, data: Object.fromEntries(Object.entries(o.data).map(([k, v]) => [k, v.replace(/\s/g, '')])) } : o,
    );
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kustomize-check-'));
    cpSync(resolve(root, 'deploy/kubernetes'), join(dir, 'kubernetes'), { recursive: true });
    cpSync(join(dir, 'kubernetes/overlays/example/secrets.env.example'), join(dir, 'kubernetes/overlays/example/secrets.env'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['keda', 'hpa'] as const)(
    'renders with components/%s into objects that are valid, in one namespace, with every reference resolved',
    async (component) => {
      const objects = await render(component);
      expect(objects.map(schemaErrors).filter((error) => error !== '')).toEqual([]);
      expect(objects.filter((o) => o.kind !== 'Namespace').every((o) => o.metadata.namespace === 'task-service')).toBe(true);

      const names = (kind: string) => new Set(objects.filter((o) => o.kind === kind).map((o) => o.metadata.name));
      const [configMaps, secrets, deployments] = [names('ConfigMap'), names('Secret'), names('Deployment')];
      // The generated names carry a hash of their content, and every reference follows it.
      expect([...configMaps, ...secrets].every((name) => /-[a-z0-9]{10}$/.test(name))).toBe(true);
      const workloads = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'Job');
      for (const workload of workloads) {
        const { spec } = podTemplate(workload);
        for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
          expect(container.image).toBe('registry.example.com/task-service:0.1.0');
          for (const from of container.envFrom ?? []) expect(configMaps).toContain(from.configMapRef?.name);
          for (const env of container.env ?? []) if (env.valueFrom?.secretKeyRef) expect(secrets).toContain(env.valueFrom.secretKeyRef.name);
        }
      }
      const config = objects.find((o) => o.kind === 'ConfigMap')!.data!;
      expect(config.POSTGRES_POOLER).toBe('transaction');
      expect(config.SHUTDOWN_TIMEOUT_SECONDS).toBe('30');

      const scalers = objects.filter((o) => o.kind === (component === 'keda' ? 'ScaledObject' : 'HorizontalPodAutoscaler'));
      const targets = scalers.map((s) => (s.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name).sort();
      expect(targets).toEqual(['task-service-worker', 'task-service-worker-high']);
      for (const target of targets) {
        expect(deployments).toContain(target);
        expect(objects.find((o) => o.kind === 'Deployment' && o.metadata.name === target)!.spec!.replicas).toBeUndefined();
      }
      expect(objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'task-service-api')!.spec!.replicas).toBe(3);
      for (const auth of objects.filter((o) => o.kind === 'TriggerAuthentication')) {
        for (const ref of (auth.spec as { secretTargetRef: { name: string }[] }).secretTargetRef) expect(secrets).toContain(ref.name);
      }
    },
  );
});

describe('scripts/healthcheck.mjs (the image HEALTHCHECK)', () => {
  let suite: Suite;
  let apiPort: number;
  let workerPort: number;
  let closedPort: number;

  const check = async (env: Record<string, string>) => (await run(process.execPath, ['scripts/healthcheck.mjs'], { env: { ...cleanEnv, ...env } })).code;

  beforeAll(async () => {
    suite = await Suite.create('healthcheck');
    apiPort = (await suite.startProcess('api')).port;
    workerPort = (await suite.startProcess('worker')).port;
    closedPort = await freePort();
  });

  afterAll(async () => {
    await suite.teardown();
  });

  it('is healthy in an api container: /health answers on API_PORT', async () => {
    expect(await check({ API_PORT: String(apiPort), HEALTH_CHECK_PORT: String(closedPort) })).toBe(0);
  });

  it('is healthy in a worker (or relay) container: /health answers on HEALTH_CHECK_PORT', async () => {
    expect(await check({ API_PORT: String(closedPort), HEALTH_CHECK_PORT: String(workerPort) })).toBe(0);
  });

  it('is unhealthy when nothing answers, or when what answers is not the app (no 200 on /health)', async () => {
    expect(await check({ API_PORT: String(closedPort), HEALTH_CHECK_PORT: String(closedPort) })).toBe(1);
    const { createServer } = await import('node:http');
    const other = createServer((_, response) => response.writeHead(404).end()).listen(0, '127.0.0.1');
    await new Promise((ready) => other.once('listening', ready));
    try {
      const port = (other.address() as { port: number }).port;
      expect(await check({ API_PORT: String(port), HEALTH_CHECK_PORT: String(closedPort) })).toBe(1);
    } finally {
      other.close();
    }
  });
});

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { type Container, type Manifest, podTemplate, readManifests, schemaErrors, selects } from './support/kubernetes.js';

/**
 * deploy/kubernetes against the Kubernetes and KEDA schemas and against the code it runs, file by
 * file and without Kustomize (test/integration/deployment-tools.int-spec.ts renders the overlay
 * when kubectl is there): the apps' entry points, ports, probes, environment (.env.example), the
 * Secret's keys, the references between objects, security contexts, resources, and the
 * autoscalers' targets and queues.
 */
const root = process.cwd();
const K8S = 'deploy/kubernetes';
const read = (file: string) => readFileSync(resolve(root, file), 'utf8');

interface Kustomization {
  kind: string;
  resources?: string[];
  components?: string[];
  configurations?: string[];
  patches?: { path?: string; patch?: string; target?: { kind: string; name: string } }[];
  images?: { name: string; newName?: string; newTag?: string }[];
  configMapGenerator?: { name: string; envs?: string[]; literals?: string[]; behavior?: string }[];
  secretGenerator?: { name: string; envs?: string[] }[];
}

/** KEY=VALUE lines (comments and blanks skipped) of an env file. */
function envFile(file: string): Record<string, string> {
  return Object.fromEntries(
    read(file)
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

const kustomizationDirs = ['base', 'components/keda', 'components/hpa', 'overlays/example'].map((dir) => join(K8S, dir));
const kustomizations = Object.fromEntries(kustomizationDirs.map((dir) => [dir, parse(read(join(dir, 'kustomization.yaml'))) as Kustomization]));
const base = kustomizations[join(K8S, 'base')];
const overlay = kustomizations[join(K8S, 'overlays/example')];

/** The resources a kustomization lists that are files of this tree (directories are other kustomizations). */
function resourceFiles(dir: string): string[] {
  return (kustomizations[dir].resources ?? []).map((entry) => join(dir, entry)).filter((path) => path.endsWith('.yaml'));
}
const manifests: Manifest[] = kustomizationDirs.flatMap((dir) => resourceFiles(dir).flatMap(readManifests));
const ofKind = (kind: string) => manifests.filter((m) => m.kind === kind);
const named = (kind: string, name: string) => manifests.find((m) => m.kind === kind && m.metadata.name === name);
const deployments = ofKind('Deployment');
const workloads = [...deployments, ...ofKind('Job')];

const envExampleNames = new Set(Object.keys(envFile('.env.example')));
const config = envFile(join(K8S, 'base', base.configMapGenerator![0].envs![0]));
const secretKeys = new Set(Object.keys(envFile(join(K8S, 'overlays/example/secrets.env.example'))));
const CONFIG_NAME = base.configMapGenerator![0].name;
const SECRET_NAME = overlay.secretGenerator![0].name;

const containersOf = (manifest: Manifest): Container[] => {
  const { spec } = podTemplate(manifest);
  return [...(spec.initContainers ?? []), ...spec.containers];
};
const envOf = (container: Container) => Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
const mainContainer = (manifest: Manifest) => podTemplate(manifest).spec.containers[0];
const ENTRY: Record<string, string> = {
  'task-service-api': 'dist/apps/api/src/main.js',
  'task-service-relay': 'dist/apps/relay/src/main.js',
  'task-service-worker-high': 'dist/apps/worker/src/main.js',
  'task-service-worker': 'dist/apps/worker/src/main.js',
  'task-service-migrate': 'dist/apps/migrate/src/main.js',
};

describe('deploy/kubernetes', () => {
  describe('files and kustomizations', () => {
    it.each(kustomizationDirs)('%s/kustomization.yaml names only files and folders that exist', (dir) => {
      const k = kustomizations[dir];
      const paths = [
        ...(k.resources ?? []),
        ...(k.components ?? []),
        ...(k.configurations ?? []),
        ...(k.patches ?? []).flatMap((p) => (p.path ? [p.path] : [])),
        ...(k.configMapGenerator ?? []).flatMap((g) => g.envs ?? []),
      ];
      expect(paths.filter((path) => !existsSync(resolve(root, dir, path)))).toEqual([]);
    });

    it('feeds the Secret from secrets.env, which git ignores; secrets.env.example holds the keys and only placeholders', () => {
      expect(overlay.secretGenerator).toEqual([{ name: 'task-service-secrets', envs: ['secrets.env'] }]);
      expect(read('.gitignore').split('\n')).toContain('deploy/kubernetes/overlays/*/secrets.env');
      const example = envFile(join(K8S, 'overlays/example/secrets.env.example'));
      expect(Object.values(example).every((value) => value.includes('REPLACE-ME'))).toBe(true);
      expect(manifests.filter((m) => m.kind === 'Secret')).toEqual([]);
    });

    it('includes the base and one autoscaling component in the example overlay, and maps the image name the workloads use', () => {
      expect(overlay.resources).toContain('../../base');
      expect(overlay.components).toEqual(['../../components/keda']);
      expect(kustomizations[join(K8S, 'components/keda')].kind).toBe('Component');
      expect(kustomizations[join(K8S, 'components/hpa')].kind).toBe('Component');
      const images = new Set(workloads.flatMap(containersOf).map((c) => c.image));
      expect([...images]).toEqual(['task-service']);
      expect(overlay.images?.map((i) => i.name)).toEqual(['task-service']);
    });

    it('patches only resources the base defines (overlay and components)', () => {
      const targets = [
        ...(overlay.patches ?? []).flatMap((p) => (p.path ? readManifests(join(K8S, 'overlays/example', p.path)) : [])).map((m) => [m.kind, m.metadata.name]),
        ...['components/keda', 'components/hpa'].flatMap((dir) => (kustomizations[join(K8S, dir)].patches ?? []).map((p) => [p.target!.kind, p.target!.name])),
      ];
      expect(targets.length).toBeGreaterThan(0);
      expect(targets.filter(([kind, name]) => !named(kind, name))).toEqual([]);
    });

    it('removes /spec/replicas, in each autoscaling component, from exactly the Deployments it scales (a re-apply must not reset them)', () => {
      for (const dir of ['components/keda', 'components/hpa']) {
        const component = kustomizations[join(K8S, dir)];
        const patched = (component.patches ?? []).filter((p) => /op: remove\s+path: \/spec\/replicas/.test(p.patch ?? '')).map((p) => p.target!.name);
        const scaled = resourceFiles(join(K8S, dir))
          .flatMap(readManifests)
          .filter((m) => m.kind === 'ScaledObject' || m.kind === 'HorizontalPodAutoscaler')
          .map((m) => (m.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name);
        expect(patched.sort()).toEqual(scaled.sort());
        for (const name of patched) expect(named('Deployment', name)?.spec?.replicas).toBeDefined();
      }
    });
  });

  describe('schemas', () => {
    it.each(manifests.map((m) => [`${m.kind}/${m.metadata.name}`, m] as const))('%s is valid against its schema', (_, manifest) => {
      expect(schemaErrors(manifest)).toBe('');
    });

    it('is the kind of check that fails: a Deployment without a selector, a port as text, a ScaledObject without a target', () => {
      const api = named('Deployment', 'task-service-api')!;
      expect(schemaErrors({ ...api, spec: { ...api.spec, selector: undefined } })).not.toBe('');
      const service = named('Service', 'task-service-api')!;
      expect(schemaErrors({ ...service, spec: { ...service.spec, ports: [{ port: 'eighty' }] } })).not.toBe('');
      const scaled = ofKind('ScaledObject')[0];
      expect(schemaErrors({ ...scaled, spec: { ...scaled.spec, scaleTargetRef: undefined } })).not.toBe('');
    });
  });

  describe('workloads', () => {
    it('runs api, relay, worker-high, worker and the migration Job', () => {
      expect(workloads.map((w) => `${w.kind}/${w.metadata.name}`).sort()).toEqual(
        [
          'Deployment/task-service-api',
          'Deployment/task-service-relay',
          'Deployment/task-service-worker',
          'Deployment/task-service-worker-high',
          'Job/task-service-migrate',
        ].sort(),
      );
    });

    it.each(workloads.map((w) => [w.metadata.name, w] as const))('%s runs its entry point with node, compiled from a source that exists', (name, workload) => {
      const script = ENTRY[name];
      expect(mainContainer(workload).command).toEqual(['node', script]);
      expect(existsSync(resolve(root, script.replace(/^dist\//, '').replace(/\.js$/, '.ts')))).toBe(true);
    });

    it.each(deployments.map((d) => [d.metadata.name, d] as const))('%s waits for the schema in an initContainer (migrate --wait)', (_, deployment) => {
      const init = podTemplate(deployment).spec.initContainers ?? [];
      expect(init.map((c) => c.command)).toEqual([['node', 'dist/apps/migrate/src/main.js', '--wait']]);
      expect(init[0].env?.map((e) => e.name)).toContain('DATABASE_URL');
    });

    it('the migrate app reads --wait', () => {
      expect(read('apps/migrate/src/main.ts')).toContain("process.argv.includes('--wait')");
    });

    it.each(deployments.map((d) => [d.metadata.name, d] as const))(
      '%s exposes the port its app serves /health on, and probes /health (liveness, startup) and /ready (readiness) there',
      (name, deployment) => {
        const container = mainContainer(deployment);
        const expected = Number(name === 'task-service-api' ? config.API_PORT : config.HEALTH_CHECK_PORT);
        const portOf = (port: string | number | undefined) => (typeof port === 'number' ? port : container.ports?.find((p) => p.name === port)?.containerPort);
        expect(container.ports?.map((p) => p.containerPort)).toEqual([expected]);
        expect(container.livenessProbe?.httpGet?.path).toBe('/health');
        expect(container.startupProbe?.httpGet?.path).toBe('/health');
        expect(container.readinessProbe?.httpGet?.path).toBe('/ready');
        for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) expect(portOf(probe?.httpGet?.port)).toBe(expected);
      },
    );

    it('dedicates worker-high to tasks.high and lets worker serve all three queues, highest first', () => {
      expect(envOf(mainContainer(named('Deployment', 'task-service-worker-high')!)).WORKER_QUEUES).toBe('tasks.high');
      expect(envOf(mainContainer(named('Deployment', 'task-service-worker')!)).WORKER_QUEUES).toBe('tasks.high,tasks.medium,tasks.low');
    });

    it.each(workloads.map((w) => [w.metadata.name, w] as const))('%s sets only variables that .env.example lists', (_, workload) => {
      const names = containersOf(workload).flatMap((c) => (c.env ?? []).map((e) => e.name));
      expect(names.filter((n) => !envExampleNames.has(n))).toEqual([]);
    });

    it('configures only variables that .env.example lists (base config.env and the overlay literals)', () => {
      const literals = (overlay.configMapGenerator ?? []).flatMap((g) => g.literals ?? []).map((l) => l.slice(0, l.indexOf('=')));
      expect([...Object.keys(config), ...literals].filter((n) => !envExampleNames.has(n))).toEqual([]);
      expect(overlay.configMapGenerator?.map((g) => [g.name, g.behavior])).toEqual([[CONFIG_NAME, 'merge']]);
    });

    it.each(workloads.map((w) => [w.metadata.name, w] as const))("%s reads the ConfigMap and Secret by their generators' names and keys", (_, workload) => {
      for (const container of containersOf(workload)) {
        expect(container.envFrom).toEqual([{ configMapRef: { name: CONFIG_NAME } }]);
        for (const { valueFrom } of container.env ?? []) {
          if (!valueFrom?.secretKeyRef) continue;
          expect(valueFrom.secretKeyRef.name).toBe(SECRET_NAME);
          expect(secretKeys).toContain(valueFrom.secretKeyRef.key);
        }
      }
    });

    it.each(deployments.map((d) => [d.metadata.name, d] as const))(
      '%s gets DATABASE_URL and RABBITMQ_URL (and the API its keys) from the Secret',
      (name, deployment) => {
        const fromSecret = (mainContainer(deployment).env ?? []).filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.name);
        expect(fromSecret).toEqual(expect.arrayContaining(['DATABASE_URL', 'RABBITMQ_URL', ...(name === 'task-service-api' ? ['API_KEYS'] : [])]));
      },
    );

    it('gives the relay OUTBOX_LISTEN_DATABASE_URL from the Secret, optional (without it the relay polls)', () => {
      const listen = mainContainer(named('Deployment', 'task-service-relay')!).env?.find((e) => e.name === 'OUTBOX_LISTEN_DATABASE_URL');
      expect(listen?.valueFrom?.secretKeyRef).toEqual({ name: SECRET_NAME, key: 'OUTBOX_LISTEN_DATABASE_URL', optional: true });
    });

    it.each(deployments.map((d) => [d.metadata.name, d] as const))('%s has longer to stop than SHUTDOWN_TIMEOUT_SECONDS', (_, deployment) => {
      expect(podTemplate(deployment).spec.terminationGracePeriodSeconds).toBeGreaterThan(Number(config.SHUTDOWN_TIMEOUT_SECONDS));
    });

    it.each(deployments.map((d) => [d.metadata.name, d] as const))('%s requests and is limited to the memory measured for its app', (name, deployment) => {
      // The api peaks near 270 MB under a full benchmark load; relay and workers stay near 150 MB.
      const memory = name === 'task-service-api' ? { requests: '256Mi', limits: '384Mi' } : { requests: '160Mi', limits: '256Mi' };
      expect(mainContainer(deployment).resources).toMatchObject({ requests: { memory: memory.requests }, limits: { memory: memory.limits } });
    });

    it.each(workloads.map((w) => [w.metadata.name, w] as const))('%s gives every container a memory request and limit and a CPU request', (_, workload) => {
      for (const container of containersOf(workload)) {
        expect(container.resources?.requests?.memory).toBeDefined();
        expect(container.resources?.requests?.cpu).toBeDefined();
        expect(container.resources?.limits?.memory).toBeDefined();
      }
    });

    it.each(workloads.map((w) => [w.metadata.name, w] as const))(
      "%s runs as the image's uid, non-root, read-only, without privilege escalation or capabilities",
      (_, workload) => {
        const user = /^USER (\d+):(\d+)$/m.exec(read('Dockerfile'));
        expect(podTemplate(workload).spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: Number(user![1]), runAsGroup: Number(user![2]) });
        for (const container of containersOf(workload)) {
          expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
        }
      },
    );
  });

  describe('references between objects', () => {
    const services = ofKind('Service');
    const selectedBy = (selector: Record<string, string>) => deployments.filter((d) => selects(selector, podTemplate(d).labels));

    it.each(services.map((s) => [s.metadata.name, s] as const))('Service %s selects one Deployment, on a port its pods name', (_, service) => {
      const spec = service.spec as { selector: Record<string, string>; ports: { targetPort: string | number }[] };
      const [target, ...more] = selectedBy(spec.selector);
      expect(more).toEqual([]);
      const names = mainContainer(target).ports?.map((p) => p.name);
      for (const port of spec.ports) expect(names).toContain(port.targetPort);
    });

    it('every Deployment has a Service and a PodDisruptionBudget', () => {
      const covered = (kind: string, selectorOf: (m: Manifest) => Record<string, string>) =>
        deployments.filter((d) => ofKind(kind).some((m) => selects(selectorOf(m), podTemplate(d).labels))).map((d) => d.metadata.name);
      const names = deployments.map((d) => d.metadata.name).sort();
      expect(covered('Service', (s) => (s.spec as { selector: Record<string, string> }).selector).sort()).toEqual(names);
      expect(covered('PodDisruptionBudget', (p) => (p.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels).sort()).toEqual(
        names,
      );
    });

    it.each(ofKind('PodDisruptionBudget').map((p) => [p.metadata.name, p] as const))(
      'PodDisruptionBudget %s selects one Deployment and lets one pod go',
      (_, pdb) => {
        const spec = pdb.spec as { selector: { matchLabels: Record<string, string> }; maxUnavailable: number };
        expect(selectedBy(spec.selector.matchLabels)).toHaveLength(1);
        expect(spec.maxUnavailable).toBe(1);
      },
    );

    it.each(deployments.map((d) => [d.metadata.name, d] as const))("Deployment %s selects its own pods and no other Deployment's", (_, deployment) => {
      const selector = (deployment.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
      expect(selectedBy(selector).map((d) => d.metadata.name)).toEqual([deployment.metadata.name]);
    });
  });

  describe('autoscaling', () => {
    const keda = resourceFiles(join(K8S, 'components/keda')).flatMap(readManifests);
    const hpa = resourceFiles(join(K8S, 'components/hpa')).flatMap(readManifests);
    const queuesOf = (name: string) => (envOf(mainContainer(named('Deployment', name)!)).WORKER_QUEUES ?? '').split(',');

    it('KEDA scales both worker Deployments, each on exactly the queues it serves', () => {
      const scaled = keda.filter((m) => m.kind === 'ScaledObject');
      expect(scaled.map((s) => (s.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name).sort()).toEqual([
        'task-service-worker',
        'task-service-worker-high',
      ]);
      for (const object of scaled) {
        const spec = object.spec as {
          scaleTargetRef: { name: string };
          minReplicaCount: number;
          maxReplicaCount: number;
          triggers: { type: string; metadata: Record<string, string>; authenticationRef: { name: string } }[];
        };
        expect(spec.triggers.every((t) => t.type === 'rabbitmq' && t.metadata.mode === 'QueueLength' && Number(t.metadata.value) > 0)).toBe(true);
        expect(spec.triggers.map((t) => t.metadata.queueName)).toEqual(queuesOf(spec.scaleTargetRef.name));
        expect(spec.minReplicaCount).toBeGreaterThanOrEqual(1);
        expect(spec.maxReplicaCount).toBeGreaterThan(spec.minReplicaCount);
        for (const trigger of spec.triggers)
          expect(keda.find((m) => m.kind === 'TriggerAuthentication' && m.metadata.name === trigger.authenticationRef.name)).toBeDefined();
      }
    });

    it('KEDA authenticates with a key of the Secret, and Kustomize is told to rename that reference with the generated Secret', () => {
      const auth = keda.find((m) => m.kind === 'TriggerAuthentication')!;
      const refs = (auth.spec as { secretTargetRef: { parameter: string; name: string; key: string }[] }).secretTargetRef;
      expect(refs).toEqual([{ parameter: 'host', name: SECRET_NAME, key: 'KEDA_RABBITMQ_HOST' }]);
      expect(secretKeys).toContain('KEDA_RABBITMQ_HOST');
      const configuration = parse(read(join(K8S, 'components/keda/kustomizeconfig.yaml'))) as {
        nameReference: { kind: string; fieldSpecs: { kind: string; path: string }[] }[];
      };
      expect(configuration.nameReference).toEqual([
        { kind: 'Secret', fieldSpecs: [{ kind: 'TriggerAuthentication', group: 'keda.sh', path: 'spec/secretTargetRef/name' }] },
      ]);
    });

    it('the HPA alternative scales the same Deployments on a gauge the workers export and on the depth of their queues the relay exports', () => {
      const gaugeNames = (path: string) => new Set([...read(path).matchAll(/name: '([a-z_]+)'/g)].map((m) => m[1]));
      const exported = gaugeNames('libs/observability/src/metrics/metrics.service.ts');
      const queueGauges = gaugeNames('libs/observability/src/metrics/queue-metrics.ts');
      for (const object of hpa) {
        const spec = object.spec as {
          scaleTargetRef: { kind: string; name: string };
          metrics: {
            type: string;
            pods?: { metric: { name: string } };
            external?: { metric: { name: string; selector: { matchLabels: { queue: string } } } };
          }[];
        };
        expect(named(spec.scaleTargetRef.kind, spec.scaleTargetRef.name)).toBeDefined();
        const podMetrics = spec.metrics.filter((m) => m.type === 'Pods').map((m) => m.pods!.metric.name);
        expect(podMetrics.length).toBeGreaterThan(0);
        expect(podMetrics.filter((name) => !exported.has(name))).toEqual([]);
        const external = spec.metrics.filter((m) => m.type === 'External').map((m) => m.external!.metric);
        expect(external.map((m) => m.selector.matchLabels.queue)).toEqual(queuesOf(spec.scaleTargetRef.name));
        expect(new Set(external.map((m) => m.name))).toEqual(new Set(['tasks_queue_messages_ready']));
        expect(queueGauges.has('tasks_queue_messages_ready')).toBe(true);
      }
      expect(hpa.map((h) => (h.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name).sort()).toEqual([
        'task-service-worker',
        'task-service-worker-high',
      ]);
    });
  });
});

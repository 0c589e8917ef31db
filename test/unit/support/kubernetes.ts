import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';

/**
 * Kubernetes manifests read as data and checked against the API's own schemas: the Kubernetes
 * OpenAPI schemas (kubernetes-models) and KEDA's CRDs (@kubernetes-models/keda), offline. The
 * schemas check types, required fields and enums; they let unknown fields through, which the
 * suites' own checks (probes, env, ports) cover where it matters.
 */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  /** The file it came from, for messages. */
  file: string;
}

// Each model's validate() throws with every schema error it found. The constructors' types differ
// (each takes its own object); the checks hand them parsed YAML.
type ModelClass = new (data: never) => { validate(): void };
const MODELS: Record<string, ModelClass> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
};

/** Every YAML document of `text` (a file, or kustomize's output). */
export function parseManifests(text: string, file: string): Manifest[] {
  return parseAllDocuments(text)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`${file}: ${document.errors.map((e) => e.message).join('; ')}`);
      return document.toJS() as Omit<Manifest, 'file'> | null;
    })
    .filter((value): value is Omit<Manifest, 'file'> => value !== null)
    .map((value) => ({ ...value, file }));
}

export function readManifests(path: string): Manifest[] {
  return parseManifests(readFileSync(path, 'utf8'), path);
}

/** The schema's complaints about `manifest` ('' when it is valid); an unknown kind is a complaint too. */
export function schemaErrors(manifest: Manifest): string {
  const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
  if (!Model) return `${manifest.file}: no schema known for ${manifest.apiVersion} ${manifest.kind}`;
  const { file: _file, ...data } = manifest;
  try {
    new Model(data as never).validate();
    return '';
  } catch (error) {
    return `${manifest.file} ${manifest.kind}/${manifest.metadata?.name}: ${(error as Error).message}`;
  }
}

/** Pod templates of Deployments and Jobs, typed as far as the checks read them. */
export interface Container {
  name: string;
  image: string;
  command?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } } }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
    runAsNonRoot?: boolean;
  };
}

export interface Probe {
  httpGet?: { path: string; port: string | number };
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; runAsGroup?: number };
}

export function podTemplate(manifest: Manifest): { labels: Record<string, string>; spec: PodSpec } {
  const template = (manifest.spec as { template: { metadata?: { labels?: Record<string, string> }; spec: PodSpec } }).template;
  return { labels: template.metadata?.labels ?? {}, spec: template.spec };
}

/** True when every pair of `selector` is among `labels`. */
export function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

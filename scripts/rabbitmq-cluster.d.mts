/** Types of scripts/rabbitmq-cluster.mjs, for the integration test that imports it. */
export interface ClusterNode {
  /** Folder name under the cluster's dir: node1, node2, ... */
  id: string;
  /** Erlang node name, e.g. rabbit-c1@localhost. */
  name: string;
  /** AMQP port on 127.0.0.1. */
  port: number;
  distPort: number;
}

export interface Cluster {
  dir: string;
  nodes: ClusterNode[];
  /** One `amqp://guest:guest@127.0.0.1:<port>/<vhost>` per node, comma separated: a RABBITMQ_URL. */
  url(vhost?: string): string;
  /** `rabbitmqctl -q -n <node> ...args`; resolves with its stdout. */
  ctl(node: ClusterNode, args: string[], timeoutMs?: number): Promise<string>;
  running(node: ClusterNode): boolean;
  startNode(node: ClusterNode): Promise<void>;
  /** `rabbitmqctl stop`, or SIGKILL of the node's VM with `kill: true`. */
  stopNode(node: ClusterNode, options?: { kill?: boolean }): Promise<void>;
  /** Stops every node (`rabbitmqctl stop`, or SIGKILL with `kill: true`) and removes the cluster's folder. */
  stop(options?: { kill?: boolean }): Promise<void>;
}

export function startCluster(options: {
  dir: string;
  prefix?: string;
  ports: number[];
  distPorts: number[];
  progress?: (step: string) => void;
}): Promise<Cluster>;
export function openCluster(dir: string): Cluster;
export function removeLeftoverClusters(prefix: string): Promise<void>;
export function freePort(): Promise<number>;
export function portTaken(port: number): Promise<boolean>;

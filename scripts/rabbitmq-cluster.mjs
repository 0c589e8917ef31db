// `node scripts/rabbitmq-cluster.mjs start|stop|status`: a local three-node RabbitMQ cluster for
// trying the apps with QUEUE_TYPE=quorum, beside the usual broker on 5672, which it never touches.
// Each node is a plain `rabbitmq-server` process with a node name of its own (rabbit-c1@localhost,
// ...), AMQP on 127.0.0.1:5681-5683 (`--port N` moves them to N, N+1, N+2), distribution on the
// AMQP port + 20000, and its data, logs and config under one folder in the temp dir. All three
// share an Erlang cookie kept in that folder; the second and third join the first with
// `rabbitmqctl join_cluster`. `start` prints the RABBITMQ_URL that lists the three; `stop` stops
// them and removes the folder; `stop-node N` (`--kill`: SIGKILL) and `start-node N` take one node
// away and bring it back, to watch the apps move; `ctl N ...` runs rabbitmqctl on node N.
//
// The test suite imports startCluster() to run a cluster of its own on free ports.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RABBITMQ_BIN = existsSync('/usr/lib/rabbitmq/bin/rabbitmq-server') ? '/usr/lib/rabbitmq/bin' : '';
const bin = (tool) => (RABBITMQ_BIN ? join(RABBITMQ_BIN, tool) : tool);
const STATE_FILE = 'cluster.json';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function run(file, args, { env, cwd, timeoutMs = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, cwd, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file.slice(file.lastIndexOf('/') + 1)} ${args.join(' ')} failed: ${(stderr || stdout || error.message).trim()}`));
      else resolve(stdout);
    });
  });
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether `pid` is a live process whose command line names `dir`: a stale pid file never gets anything else signalled. */
function runsIn(pid, dir) {
  if (!(pid > 0) || !alive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
  } catch {
    return false;
  }
}

/** Whether something already listens on 127.0.0.1:`port`. */
export function portTaken(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

/** A free TCP port on 127.0.0.1, as the OS hands it out. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * One node's environment: every path the node reads or writes is in its own folder, so nothing of
 * /etc/rabbitmq or /var/lib/rabbitmq (the usual broker's) is read or changed. HOME is the
 * cluster's folder: the Erlang cookie there is read by all three nodes and by rabbitmqctl.
 */
function nodeEnv(dir, node) {
  const home = join(dir, node.id);
  return {
    ...process.env,
    HOME: dir,
    RABBITMQ_NODENAME: node.name,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(node.port),
    RABBITMQ_DIST_PORT: String(node.distPort),
    RABBITMQ_CONF_ENV_FILE: join(home, 'rabbitmq-env.conf'),
    RABBITMQ_CONFIG_FILE: join(home, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(home, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(home, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: join(home, 'mnesia'),
    RABBITMQ_LOG_BASE: join(home, 'log'),
    RABBITMQ_PID_FILE: join(home, 'rabbit.pid'),
    ERL_EPMD_ADDRESS: '127.0.0.1',
  };
}

function writeNodeFiles(dir, node) {
  const home = join(dir, node.id);
  mkdirSync(join(home, 'mnesia'), { recursive: true });
  mkdirSync(join(home, 'log'), { recursive: true });
  // guest may log in from 127.0.0.1 (the listener's only address); no disk alarm on a full temp dir.
  writeFileSync(join(home, 'rabbitmq.conf'), `listeners.tcp.default = 127.0.0.1:${node.port}\nloopback_users = none\ndisk_free_limit.absolute = 1MB\n`);
  // Distribution (inter-node and CLI traffic) on the loopback interface only.
  writeFileSync(join(home, 'advanced.config'), '[{kernel, [{inet_dist_use_interface, {127,0,0,1}}]}].\n');
  writeFileSync(join(home, 'enabled_plugins'), '[].\n');
  writeFileSync(join(home, 'rabbitmq-env.conf'), '');
}

/**
 * The cluster in `dir` as its state file describes it: each node's name, ports and folder, and
 * `start`/`stop` of one node, `ctl` for rabbitmqctl on one node, `stop` of the whole cluster.
 */
export function openCluster(dir) {
  const state = JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8'));
  const children = new Map();
  const ctl = (node, args, timeoutMs = 60_000) => run(bin('rabbitmqctl'), ['-q', '-n', node.name, ...args], { env: nodeEnv(dir, node), cwd: dir, timeoutMs });
  const pidOf = (node) => {
    try {
      return Number(readFileSync(join(dir, node.id, 'rabbit.pid'), 'utf8').trim());
    } catch {
      return 0;
    }
  };
  const running = (node) => runsIn(pidOf(node), dir);

  const startNode = async (node) => {
    const home = join(dir, node.id);
    rmSync(join(home, 'rabbit.pid'), { force: true });
    const child = spawn(bin('rabbitmq-server'), [], { env: nodeEnv(dir, node), cwd: home, detached: true, stdio: 'ignore' });
    child.unref();
    children.set(node.name, child);
    // The launcher runs as long as the node: its failure to spawn or an early exit ends the wait at once.
    const failed = new Promise((_, reject) => {
      child.once('error', (error) => reject(new Error(`cannot run ${bin('rabbitmq-server')}: ${error.message} (is the rabbitmq-server package installed?)`)));
      child.once('exit', (code, signal) => reject(new Error(`rabbitmq-server exited (${signal ?? `code ${code}`}) before the node was up`)));
    });
    failed.catch(() => undefined);
    try {
      // Waits for the pid file, then for the rabbit application to have started.
      await Promise.race([ctl(node, ['wait', '--timeout', '90', join(home, 'rabbit.pid')], 120_000), failed]);
    } catch (error) {
      const pid = pidOf(node);
      if (runsIn(pid, dir)) process.kill(pid, 'SIGKILL');
      const log = join(home, 'log', `${node.name}.log`);
      const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-30).join('\n') : '';
      throw new Error(`RabbitMQ node ${node.name} did not start: ${error.message}${tail ? `\n${tail}` : ''}`);
    }
  };

  /** Stops one node: `rabbitmqctl stop` (a clean shutdown), or SIGKILL of its VM with `kill: true`. */
  const stopNode = async (node, { kill = false } = {}) => {
    const pid = pidOf(node);
    if (!runsIn(pid, dir)) return;
    if (kill) process.kill(pid, 'SIGKILL');
    else await ctl(node, ['stop', join(dir, node.id, 'rabbit.pid')], 90_000).catch(() => runsIn(pid, dir) && process.kill(pid, 'SIGKILL'));
    for (let i = 0; i < 100 && runsIn(pid, dir); i++) await sleep(100);
    const child = children.get(node.name);
    // The launcher script exits once the VM has.
    if (child && child.exitCode === null && child.signalCode === null) await Promise.race([new Promise((r) => child.once('exit', r)), sleep(5_000)]);
  };

  return {
    dir,
    nodes: state.nodes,
    /** The RABBITMQ_URL of the cluster: one `amqp://guest:guest@127.0.0.1:<port>/<vhost>` per node, comma separated. */
    url: (vhost) => state.nodes.map((node) => `amqp://guest:guest@127.0.0.1:${node.port}${vhost ? `/${encodeURIComponent(vhost)}` : ''}`).join(','),
    ctl: (node, args, timeoutMs) => ctl(node, args, timeoutMs),
    running,
    startNode,
    stopNode,
    /** Stops every node (`rabbitmqctl stop`, or SIGKILL with `kill: true`) and removes the cluster's folder. */
    stop: async ({ kill = false } = {}) => {
      await Promise.all(state.nodes.map((node) => stopNode(node, { kill })));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts a cluster of `size` nodes in `dir` (created; must not hold a cluster already): node
 * names `<prefix><n>@localhost`, AMQP ports `ports[i]`, distribution ports `distPorts[i]`. The
 * nodes boot side by side, then each but the first joins the first (stop_app, join_cluster,
 * start_app). On any failure the nodes started so far are stopped and `dir` removed.
 */
export async function startCluster({ dir, prefix = 'rabbit-c', ports, distPorts, progress = () => undefined }) {
  if (existsSync(join(dir, STATE_FILE))) throw new Error(`${dir} already holds a cluster: stop it first`);
  mkdirSync(dir, { recursive: true });
  const nodes = ports.map((port, i) => ({ id: `node${i + 1}`, name: `${prefix}${i + 1}@localhost`, port, distPort: distPorts[i] }));
  writeFileSync(join(dir, STATE_FILE), JSON.stringify({ nodes }, null, 2));
  // The cookie is read by the Erlang VM from $HOME/.erlang.cookie and must be readable by its owner only.
  writeFileSync(join(dir, '.erlang.cookie'), `TASKSVCCLUSTER${process.pid}${Date.now()}`, { mode: 0o400 });
  for (const node of nodes) writeNodeFiles(dir, node);
  const cluster = openCluster(dir);
  try {
    await Promise.all(nodes.map((node) => cluster.startNode(node)));
    progress(`${nodes.length} nodes booted`);
    const [first, ...others] = nodes;
    await Promise.all(
      others.map(async (node) => {
        await cluster.ctl(node, ['stop_app']);
        progress(`${node.name} app stopped`);
        await cluster.ctl(node, ['join_cluster', first.name]);
        progress(`${node.name} joined ${first.name}`);
        await cluster.ctl(node, ['start_app']);
        progress(`${node.name} app started`);
      }),
    );
    await cluster.ctl(first, ['await_online_nodes', String(nodes.length), '--timeout', '60'], 90_000);
    return cluster;
  } catch (error) {
    await cluster.stop().catch(() => undefined);
    throw error;
  }
}

/** Cluster folders of this kind whose owning process is gone: their nodes are killed and the folders removed. */
export async function removeLeftoverClusters(prefix) {
  const pattern = new RegExp(`^${prefix}(\\d+)-`);
  for (const entry of readdirSync(tmpdir())) {
    const match = pattern.exec(entry);
    if (!match || alive(Number(match[1]))) continue;
    const dir = join(tmpdir(), entry);
    if (existsSync(join(dir, STATE_FILE))) {
      const cluster = openCluster(dir);
      await Promise.all(cluster.nodes.map((node) => cluster.stopNode(node, { kill: true })));
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  const portArg = rest.indexOf('--port');
  const firstPort = portArg >= 0 ? Number(rest[portArg + 1]) : 5681;
  const dir = process.env.RABBITMQ_CLUSTER_DIR || join(tmpdir(), 'task-svc-rabbitmq-cluster');
  const exists = existsSync(join(dir, STATE_FILE));

  switch (command) {
    case 'start': {
      if (exists) {
        const cluster = openCluster(dir);
        if (cluster.nodes.every((node) => cluster.running(node))) {
          console.log(`already running (${dir})\nRABBITMQ_URL=${cluster.url()}\nQUEUE_TYPE=quorum`);
          return;
        }
        throw new Error(`${dir} holds a cluster that is not (fully) running: run "stop" first`);
      }
      if (!Number.isInteger(firstPort) || firstPort < 1024 || firstPort > 45_000) throw new Error('--port must be a whole number from 1024 to 45000');
      const ports = [firstPort, firstPort + 1, firstPort + 2];
      const distPorts = ports.map((port) => port + 20_000);
      if (ports.includes(5672)) throw new Error('--port: 5672 is the usual broker, choose other ports');
      const taken = [];
      for (const port of [...ports, ...distPorts]) if (await portTaken(port)) taken.push(port);
      if (taken.length > 0) throw new Error(`port(s) ${taken.join(', ')} already in use on 127.0.0.1: free them or pass --port N`);
      const started = Date.now();
      const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
      const cluster = await startCluster({ dir, ports, distPorts, progress: (step) => console.log(`${seconds()}: ${step}`) });
      console.log(`three-node cluster up in ${seconds()} (${dir})`);
      for (const node of cluster.nodes) console.log(`  ${node.name}  amqp 127.0.0.1:${node.port}  distribution ${node.distPort}`);
      console.log(`\nRABBITMQ_URL=${cluster.url()}\nQUEUE_TYPE=quorum`);
      return;
    }
    case 'stop': {
      if (!exists) {
        console.log(`no cluster in ${dir}`);
        return;
      }
      await openCluster(dir).stop();
      console.log(`stopped; removed ${dir}`);
      return;
    }
    case 'status': {
      if (!exists) {
        console.log(`no cluster in ${dir}`);
        process.exitCode = 1;
        return;
      }
      const cluster = openCluster(dir);
      const up = cluster.nodes.filter((node) => cluster.running(node));
      for (const node of cluster.nodes) console.log(`  ${node.name}  amqp 127.0.0.1:${node.port}  ${cluster.running(node) ? 'running' : 'stopped'}`);
      if (up.length > 0) console.log(await cluster.ctl(up[0], ['cluster_status']));
      console.log(`RABBITMQ_URL=${cluster.url()}`);
      if (up.length < cluster.nodes.length) process.exitCode = 1;
      return;
    }
    case 'stop-node':
    case 'start-node': {
      if (!exists) throw new Error(`no cluster in ${dir}: run "start" first`);
      const cluster = openCluster(dir);
      const node = cluster.nodes[Number(rest[0]) - 1];
      if (!node) throw new Error(`${command} takes a node number from 1 to ${cluster.nodes.length}`);
      if (command === 'stop-node') await cluster.stopNode(node, { kill: rest.includes('--kill') });
      else if (!cluster.running(node)) await cluster.startNode(node);
      console.log(`${node.name} ${cluster.running(node) ? 'running' : 'stopped'}`);
      return;
    }
    case 'ctl': {
      if (!exists) throw new Error(`no cluster in ${dir}: run "start" first`);
      const cluster = openCluster(dir);
      const node = cluster.nodes[Number(rest[0]) - 1];
      if (!node) throw new Error(`ctl takes a node number from 1 to ${cluster.nodes.length}, then rabbitmqctl's arguments`);
      process.stdout.write(await cluster.ctl(node, rest.slice(1)));
      return;
    }
    default:
      console.error(
        'usage: node scripts/rabbitmq-cluster.mjs start [--port 5681] | status | stop | stop-node N [--kill] | start-node N | ctl N <rabbitmqctl args>\n' +
          '(RABBITMQ_CLUSTER_DIR moves its folder)',
      );
      process.exitCode = 2;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error) => {
    console.error(error.message);
    process.exit(1);
  });
}

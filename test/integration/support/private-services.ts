import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const RABBITMQ_BIN = '/usr/lib/rabbitmq/bin';

/** A RabbitMQ node of a test's own, on ports of its own: free to restart or to configure broker-wide. */
export interface PrivateRabbitMQ {
  port: number;
  /** The AMQP URL of `vhost` (the default vhost `/` when omitted), user guest. */
  url(vhost?: string): string;
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** Runs `rabbitmqctl` against this node and returns its output. */
  ctl(args: string[]): Promise<string>;
}

/**
 * Starts a private `rabbitmq-server` node in a temporary directory (its own node name, AMQP and
 * distribution ports, data, logs and Erlang cookie; no plugins, so no management port), and
 * waits until it accepts connections. `consumerTimeoutMs` sets the broker's consumer_timeout;
 * the channel tick that checks it is then set to a tenth of it (at least 100 ms), since RabbitMQ
 * only checks on that tick (every 60 s by default, so a short timeout would otherwise fire up
 * to a minute late). Never touches the shared broker.
 */
export async function startPrivateRabbitMQ(options: { name?: string; consumerTimeoutMs?: number } = {}): Promise<PrivateRabbitMQ> {
  const name = `${options.name ?? 'private'}-${process.pid}`;
  const dir = await mkdtemp(join(tmpdir(), `rabbitmq-${name}-`));
  let [port, distPort] = await freePorts(2);
  const node = `${name}@localhost`;
  const rabbit: [string, string | number][] = [['loopback_users', '[]']];
  if (options.consumerTimeoutMs !== undefined) {
    rabbit.push(['consumer_timeout', options.consumerTimeoutMs]);
    rabbit.push(['channel_tick_interval', Math.max(100, Math.floor(options.consumerTimeoutMs / 10))]);
  }
  await writeFile(join(dir, 'advanced.config'), `[{rabbit, [${rabbit.map(([k, v]) => `{${k}, ${v}}`).join(', ')}]}].\n`);
  await writeFile(join(dir, 'enabled_plugins'), '[].\n');
  await writeFile(join(dir, '.erlang.cookie'), randomBytes(20).toString('hex').toUpperCase());
  await chmod(join(dir, '.erlang.cookie'), 0o400);
  const env = (): NodeJS.ProcessEnv => ({
    ...process.env,
    HOME: dir,
    RABBITMQ_NODENAME: node,
    RABBITMQ_USE_LONGNAME: 'false',
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
    RABBITMQ_LOGS: join(dir, 'log', 'rabbit.log'),
  });
  const ctl = async (args: string[]): Promise<string> => {
    const { stdout } = await run(join(RABBITMQ_BIN, 'rabbitmqctl'), ['-n', node, '-q', ...args], { env: env(), timeout: 60_000 });
    return stdout;
  };

  let child: ChildProcess | undefined;
  const start = async () => {
    const output = await open(join(dir, 'server.out'), 'a');
    // Its own process group: the script starts the Erlang VM as a child, and a failed start
    // must not leave that VM behind.
    const started = spawn(join(RABBITMQ_BIN, 'rabbitmq-server'), [], { env: env(), stdio: ['ignore', output.fd, output.fd], detached: true });
    child = started;
    await output.close();
    // await_startup fails at once while the node is not yet registered with epmd: poll it.
    const deadline = Date.now() + 90_000;
    for (;;) {
      try {
        await ctl(['await_startup', '--timeout', '60']);
        return;
      } catch (error) {
        if (started.exitCode !== null || Date.now() > deadline) {
          killGroup(started);
          const log = await readFile(join(dir, 'server.out'), 'utf8').catch(() => '');
          throw new StartError(`private RabbitMQ ${node} did not start: ${(error as Error).message}\n${log.slice(-2000)}`, log.includes('eaddrinuse'));
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  };
  const halt = async () => {
    const current = child;
    child = undefined;
    if (!current || current.exitCode !== null) return;
    const exited = new Promise((resolve) => current.once('exit', resolve));
    await ctl(['stop']).catch(() => killGroup(current));
    const timer = setTimeout(() => killGroup(current), 30_000);
    await exited;
    clearTimeout(timer);
  };

  // A port chosen free can be taken by another process before the node binds it: choose again.
  for (let tries = 1; ; tries++) {
    try {
      await start();
      break;
    } catch (error) {
      if (!(error instanceof StartError && error.portTaken) || tries >= 3) {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
      await rm(join(dir, 'mnesia'), { recursive: true, force: true });
      [port, distPort] = await freePorts(2);
    }
  }
  return {
    port,
    url: (vhost?: string) => `amqp://guest:guest@127.0.0.1:${port}${vhost ? `/${encodeURIComponent(vhost)}` : ''}`,
    restart: async () => {
      await halt();
      await start();
    },
    stop: async () => {
      await halt();
      await rm(dir, { recursive: true, force: true });
    },
    ctl,
  };
}

class StartError extends Error {
  constructor(
    message: string,
    readonly portTaken: boolean,
  ) {
    super(message);
  }
}

/** Kills the server script and the Erlang VM it started (the group the script leads). */
function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** `count` distinct free ports: all listened on at once, so none is handed out twice. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<Server>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Private PostgreSQL and RabbitMQ instances for tests that must restart a broker or a database,
 * or change broker-wide settings, without touching the shared services on 5432 and 5672. Each
 * lives in a temp dir named after the pid that started it (`task-svc-<kind>-<pid>-<name>-*`);
 * a later start removes the instances of pids that are gone, so a killed run cannot break the
 * next one.
 */

export interface PrivateRabbitMQ {
  port: number;
  /** `amqp://guest:guest@127.0.0.1:<port>/<vhost>`; the default vhost when none is given. */
  url(vhost?: string): string;
  /** Stops the node (its durable queues and messages stay on disk) and starts it again. */
  restart(): Promise<void>;
  /** Stops the node and removes its directory. */
  stop(): Promise<void>;
  /** `rabbitmqctl -n <node> ...args`; resolves with its stdout, rejects with its stderr. */
  ctl(args: string[]): Promise<string>;
}

export interface PrivatePostgres {
  port: number;
  /** `postgres://postgres@127.0.0.1:<port>/<database>` (trust auth); `postgres` when none is given. */
  url(database?: string): string;
  /** `pg_ctl restart -m fast`: every connection is closed, the data stays. */
  restart(): Promise<void>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

const PREFIX = 'task-svc-';
type Kind = 'rmq' | 'pg' | 'pgb';
const RABBITMQ_BIN = existsSync('/usr/lib/rabbitmq/bin/rabbitmq-server') ? '/usr/lib/rabbitmq/bin' : '';

/** A free TCP port on 127.0.0.1, as the OS hands it out. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function run(file: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { env: options.env ?? process.env, cwd: options.cwd, timeout: options.timeoutMs ?? 120_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${file} ${args.join(' ')} failed: ${stderr || stdout || error.message}`.trim()));
        else resolve(stdout);
      },
    );
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether `pid` is still the server started in `dir`. A pid file can outlive its process, and the
 * number may by now belong to anything else (a backend of the shared PostgreSQL, say): only a
 * process whose command line names our dir is ever signalled.
 */
function runsIn(pid: number, dir: string): boolean {
  if (!(pid > 0) || !alive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function uniqueName(kind: Kind, name: string): string {
  const safe = name.replace(/[^a-z0-9]/gi, '').toLowerCase() || kind;
  return `${PREFIX}${kind}-${process.pid}-${safe}-`;
}

/**
 * Stops the leftovers of runs whose process is gone, by the server's pid file (PostgreSQL with
 * SIGQUIT, its immediate shutdown, which also frees its shared memory; RabbitMQ with SIGKILL),
 * then removes their dirs.
 */
async function removeLeftovers(kind: Kind): Promise<void> {
  const pattern = new RegExp(`^${PREFIX}${kind}-(\\d+)-`);
  for (const entry of readdirSync(tmpdir())) {
    const match = pattern.exec(entry);
    if (!match || alive(Number(match[1]))) continue;
    const dir = join(tmpdir(), entry);
    const pidFile = { rmq: join(dir, 'rabbit.pid'), pg: join(dir, 'data', 'postmaster.pid'), pgb: join(dir, 'pgbouncer.pid') }[kind];
    let pid = 0;
    try {
      pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0].trim());
    } catch {
      // no pid file: the server was not running
    }
    if (runsIn(pid, dir)) {
      process.kill(pid, kind === 'pg' ? 'SIGQUIT' : 'SIGKILL');
      for (let i = 0; i < 50 && alive(pid); i++) await sleep(100);
      if (runsIn(pid, dir)) process.kill(pid, 'SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Starts a RabbitMQ node of its own: node name `<name>-<pid>-<n>@localhost`, free AMQP and
 * distribution ports on 127.0.0.1, mnesia, logs, config, plugins (none) and Erlang cookie in a
 * temp dir. `consumerTimeoutMs` sets the broker's `consumer_timeout` and checks it every second
 * (`channel_tick_interval`), so a test sees a channel closed for a late ack within a second or so.
 */
export async function startPrivateRabbitMQ(options: { name?: string; consumerTimeoutMs?: number } = {}): Promise<PrivateRabbitMQ> {
  await removeLeftovers('rmq');
  const dir = mkdtempSync(join(tmpdir(), uniqueName('rmq', options.name ?? 'rabbit')));
  const port = await freePort();
  const distPort = await freePort();
  const node = `${dir.slice(dir.lastIndexOf('/') + 1)}@localhost`;
  mkdirSync(join(dir, 'log'));
  mkdirSync(join(dir, 'mnesia'));
  const rabbit: string[] = [];
  if (options.consumerTimeoutMs !== undefined) {
    rabbit.push(
      `{consumer_timeout, ${Math.round(options.consumerTimeoutMs)}}`,
      `{channel_tick_interval, ${Math.min(1000, Math.max(100, Math.round(options.consumerTimeoutMs / 2)))}}`,
    );
  }
  writeFileSync(join(dir, 'rabbitmq.conf'), `listeners.tcp.default = 127.0.0.1:${port}\nloopback_users = none\ndisk_free_limit.absolute = 1MB\n`);
  writeFileSync(join(dir, 'advanced.config'), `[{rabbit, [${rabbit.join(', ')}]}].\n`);
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  writeFileSync(join(dir, 'rabbitmq-env.conf'), '');
  // The Erlang cookie is read from $HOME by both the node and rabbitmqctl.
  writeFileSync(join(dir, '.erlang.cookie'), `SOAK${process.pid}${Date.now()}`.toUpperCase(), { mode: 0o400 });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: dir,
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_PID_FILE: join(dir, 'rabbit.pid'),
    ERL_EPMD_ADDRESS: '127.0.0.1',
  };
  const bin = (tool: string) => (RABBITMQ_BIN ? join(RABBITMQ_BIN, tool) : tool);
  const ctl = (args: string[], timeoutMs?: number) => run(bin('rabbitmqctl'), ['-q', '-n', node, ...args], { env, cwd: dir, timeoutMs });
  let child: ChildProcess | undefined;

  const start = async () => {
    const log = join(dir, 'log', 'startup.log');
    child = spawn(bin('rabbitmq-server'), [], { env, cwd: dir, detached: true, stdio: ['ignore', 'ignore', 'ignore'] });
    child.unref();
    try {
      await ctl(['wait', '--timeout', '60', join(dir, 'rabbit.pid')], 90_000);
      await ctl(['await_startup', '--timeout', '60'], 90_000);
    } catch (error) {
      child.kill('SIGKILL');
      throw new Error(`private RabbitMQ ${node} did not start: ${(error as Error).message}\n${existsSync(log) ? readFileSync(log, 'utf8') : ''}`);
    }
  };
  const halt = async () => {
    const pidFile = join(dir, 'rabbit.pid');
    await ctl(['stop', pidFile], 60_000).catch(async () => {
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0;
      if (runsIn(pid, dir)) process.kill(pid, 'SIGKILL');
    });
    // The launcher script exits once the node has.
    if (child && child.exitCode === null && child.signalCode === null) {
      await Promise.race([new Promise((resolve) => child!.once('exit', resolve)), sleep(10_000)]);
    }
  };

  await start();
  return {
    port,
    url: (vhost) => `amqp://guest:guest@127.0.0.1:${port}${vhost ? `/${encodeURIComponent(vhost)}` : ''}`,
    restart: async () => {
      await halt();
      await start();
    },
    stop: async () => {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
    ctl: (args) => ctl(args),
  };
}

/**
 * Starts a PostgreSQL server of its own (`initdb` with trust auth and user `postgres`, then
 * `pg_ctl`) on a free port, listening on 127.0.0.1 and a socket in its temp dir. PostgreSQL
 * refuses to run as root, so as root it runs as the `postgres` OS user, which owns the dir.
 */
export async function startPrivatePostgres(options: { name?: string } = {}): Promise<PrivatePostgres> {
  await removeLeftovers('pg');
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), uniqueName('pg', options.name ?? 'postgres')));
  const data = join(dir, 'data');
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number((await run('id', ['-u', 'postgres'])).trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).trim());
    chownSync(dir, uid, gid);
  }
  const pg = (tool: string, args: string[], timeoutMs?: number) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args], { cwd: dir, timeoutMs }) : run(join(bin, tool), args, { cwd: dir, timeoutMs });
  try {
    await pg('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    const settings = [
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${dir}'`,
      'fsync = off',
      'max_connections = 200',
      'shared_buffers = 32MB',
      "log_min_messages = 'warning'",
    ];
    // Root may write the postgres user's file; appending keeps its owner.
    appendFileSync(join(data, 'postgresql.conf'), `\n${settings.join('\n')}\n`);
    const log = join(dir, 'postgres.log');
    const pgCtl = (args: string[]) => pg('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', ...args], 90_000);
    await pgCtl(['start']);
    return {
      port,
      url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(database)}`,
      restart: async () => {
        await pgCtl(['restart', '-m', 'fast']);
      },
      stop: async () => {
        await pgCtl(['stop', '-m', 'fast']).catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** `/usr/lib/postgresql/<newest>/bin`, or `$PG_BIN` when set. */
function postgresBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0)
    throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql; set PG_BIN to the directory of initdb and pg_ctl');
  return join(root, versions[0], 'bin');
}

export interface PrivatePgBouncer {
  port: number;
  /** `postgres://postgres@127.0.0.1:<port>/<database>`: through the pooler. */
  url(database: string): string;
  /** Everything PgBouncer logged so far. */
  log(): string;
  /** Stops it (SIGTERM) and removes its directory. */
  stop(): Promise<void>;
}

/** The pgbouncer binary (`$PGBOUNCER_BIN`, /usr/sbin/pgbouncer or on the PATH), or null when it is not installed. */
export function pgbouncerBin(): string | null {
  const candidates = [process.env.PGBOUNCER_BIN, '/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer'];
  for (const candidate of candidates) if (candidate && existsSync(candidate)) return candidate;
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(join(dir, 'pgbouncer'))) return join(dir, 'pgbouncer');
  return null;
}

/**
 * Starts a PgBouncer of its own in transaction mode on a free port of 127.0.0.1, in front of the
 * shared PostgreSQL (`postgresPort`, 5432), serving only `databases`; its ini, user list, pid file
 * and log live in a temp dir. PgBouncer refuses to run as root, so as root it runs as the
 * `postgres` OS user, which owns the dir. Authentication is trust, like the PostgreSQL it fronts.
 */
export async function startPrivatePgBouncer(options: { name?: string; databases: string[]; postgresPort?: number }): Promise<PrivatePgBouncer> {
  const bin = pgbouncerBin();
  if (!bin) throw new Error('pgbouncer is not installed (apt-get install -y pgbouncer)');
  await removeLeftovers('pgb');
  const dir = mkdtempSync(join(tmpdir(), uniqueName('pgb', options.name ?? 'pgbouncer')));
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number((await run('id', ['-u', 'postgres'])).trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).trim());
    chownSync(dir, uid, gid);
  }
  const ini = join(dir, 'pgbouncer.ini');
  const logFile = join(dir, 'pgbouncer.log');
  writeFileSync(join(dir, 'userlist.txt'), '"postgres" ""\n');
  writeFileSync(
    ini,
    [
      '[databases]',
      ...options.databases.map((db) => `${db} = host=127.0.0.1 port=${options.postgresPort ?? 5432} dbname=${db}`),
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      `unix_socket_dir = ${dir}`,
      'auth_type = trust',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      'default_pool_size = 20',
      'max_client_conn = 500',
      'admin_users = postgres',
      `logfile = ${logFile}`,
      `pidfile = ${join(dir, 'pgbouncer.pid')}`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = asRoot
    ? spawn('runuser', ['-u', 'postgres', '--', bin, ini], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(bin, [ini], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '') + output;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
    }
    const pidFile = join(dir, 'pgbouncer.pid');
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0;
    if (runsIn(pid, dir)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  // Up once it accepts a connection on its port.
  for (let i = 0; ; i++) {
    if (child.exitCode !== null || i > 100) {
      const why = log();
      await stop();
      throw new Error(`private PgBouncer did not start:\n${why}`);
    }
    if (await accepts(port)) break;
    await sleep(100);
  }
  return { port, url: (database) => `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(database)}`, log, stop };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

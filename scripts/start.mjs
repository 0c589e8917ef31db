// `npm start`: builds if needed, checks that PostgreSQL and RabbitMQ answer, applies the
// migrations, then runs api, relay and one worker together with prefixed logs. Ctrl-C (or
// SIGTERM) stops all three gracefully; the exit code is 0 when each stopped cleanly.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { ensureBuild } from './ensure-build.mjs';

ensureBuild();
const root = new URL('..', import.meta.url).pathname;
const { loadConfigOrExit } = await import('../dist/libs/runtime/src/index.js');
const { postgresAddress } = await import('../dist/libs/config/src/index.js');
const config = loadConfigOrExit();

function reachable(host, port, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const { host: pgHost, port: pgPort } = postgresAddress(config.postgres);
// RABBITMQ_URL may list the nodes of a cluster: one that answers is enough to start.
const brokers = config.rabbitmq.urls.map((url) => {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || (parsed.protocol === 'amqps:' ? 5671 : 5672)) };
});

const problems = [];
if (!(await reachable(pgHost, pgPort))) {
  problems.push(
    `PostgreSQL is not reachable at ${pgHost}:${pgPort}. ` +
      'Start it (Debian: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) ' +
      'or point POSTGRES_HOST/POSTGRES_PORT (or DATABASE_URL) at it.',
  );
}
const answers = await Promise.all(brokers.map(({ host, port }) => reachable(host, port)));
if (!answers.includes(true)) {
  const where = brokers.map(({ host, port }) => `${host}:${port}`).join(', ');
  problems.push(`RabbitMQ is not reachable at ${where}. Start it (Debian: rabbitmq-server -detached) or point RABBITMQ_URL at it.`);
}
if (problems.length > 0) {
  for (const line of problems) console.error(line);
  process.exit(1);
}

// The relay and the worker run with 2 MiB semi-spaces instead of V8's up to 16 (each app grows
// them to the maximum while it loads its modules, and keeps them). Not the API: its requests
// allocate fast enough that a small young generation promotes them and costs throughput.
// See documents/architecture.md, "Memory".
const NODE_FLAGS = { relay: ['--max-semi-space-size=2'], worker: ['--max-semi-space-size=2'] };

// A person at a terminal reads pretty, coloured lines; piped into a file or a log shipper, the
// apps write JSON. LOG_FORMAT, when set (in the environment or .env), wins. The apps themselves
// never guess from a terminal: this launcher decides for them. See documents/observability.md.
const pretty = !process.env.LOG_FORMAT && process.stdout.isTTY === true;
const logEnv = pretty ? { LOG_FORMAT: 'pretty', ...(process.env.NO_COLOR ? {} : { FORCE_COLOR: '1' }) } : {};

const width = 8;
function run(name, script, env = {}) {
  const child = spawn(process.execPath, [...(NODE_FLAGS[name] ?? []), script], {
    cwd: root,
    env: { ...process.env, ...logEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: Ctrl-C reaches only this launcher, which then stops each app once.
    detached: true,
  });
  const prefix = `[${name}]`.padEnd(width);
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${prefix} ${line}\n`));
  }
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  return child;
}

const migrate = run('migrate', 'dist/apps/migrate/src/main.js');
if ((await migrate.exited) !== 0) process.exit(1);

const healthPort = config.health.port;
const apps = [
  { name: 'api', script: 'dist/apps/api/src/main.js', env: {} },
  { name: 'relay', script: 'dist/apps/relay/src/main.js', env: {} },
  // Two processes on one machine cannot share a port: the worker serves its health on the next one.
  { name: 'worker', script: 'dist/apps/worker/src/main.js', env: { HEALTH_CHECK_PORT: String(healthPort === 0 ? 0 : healthPort + 1) } },
].map(({ name, script, env }) => ({ name, child: run(name, script, env) }));

let stopping = false;
function stopAll(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`[start]  ${signal}: stopping api, relay and worker gracefully`);
  for (const { child } of apps) if (child.exitCode === null) child.kill('SIGTERM');
}
process.on('SIGINT', () => stopAll('SIGINT'));
process.on('SIGTERM', () => stopAll('SIGTERM'));

for (const { name, child } of apps) {
  child.exited.then((code) => {
    if (!stopping) {
      console.error(`[start]  ${name} exited with code ${code}: stopping the others`);
      stopAll('exit');
    }
  });
}
const codes = await Promise.all(apps.map(({ child }) => child.exited));
process.exit(codes.every((c) => c === 0) ? 0 : 1);

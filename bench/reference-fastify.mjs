// `node bench/reference-fastify.mjs`: POST /api/v1/tasks of the real API against a bare Fastify
// server that writes the same task and outbox rows the plain way (BEGIN; INSERT task; INSERT
// outbox; COMMIT per request, on a pg pool as large as the API's), measured in one run on one
// database. Also a lone request's latency when nothing else is in flight. Nothing here is a
// pass/fail test: read the numbers.
//
// Environment: BENCH_CONNECTIONS (default 50), BENCH_SECONDS per run (default 10), BENCH_ROUNDS
// (default 2: each target is measured this many times, interleaved), BENCH_TARGETS (default
// `reference,api,api-unbatched`), plus the usual POSTGRES_* and RABBITMQ_URL. The API runs with
// the environment it would get in production (LOG_LEVEL=info: one JSON access line per request);
// `api-unbatched` adds CREATE_BATCH_WINDOW_MS=0. BENCH_BASELINE_BUILD=/path/to/another/checkout
// adds the target `baseline`: that checkout's built API (its dist/), e.g. the commit before a
// change, on the same database. Besides rates and latencies it prints the CPU each request cost
// the server process and the Postgres backends, which holds better than a rate on a busy machine.
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createInterface } from 'node:readline';
import pg from 'pg';

if (process.argv[2] === '--serve') await serveReference();
else await main();

/** The reference: Fastify with its defaults, a pg pool of 10, the two inserts in one transaction. */
async function serveReference() {
  const { default: Fastify } = await import('fastify');
  const pool = new pg.Pool({ ...JSON.parse(process.env.REFERENCE_POSTGRES), max: 10 });
  const app = Fastify({ logger: false });
  app.post('/api/v1/tasks', async (request, reply) => {
    const body = request.body ?? {};
    if (typeof body.title !== 'string' || body.title.trim() === '') return reply.code(400).send({ error: 'title is required' });
    const id = randomUUID();
    const priority = body.priority ?? 'MEDIUM';
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query(
        `INSERT INTO tasks (id, type, title, description, priority, payload, max_attempts, correlation_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
        [id, body.type ?? 'noop', body.title.trim(), body.description ?? null, priority, body.payload ?? {}, 4, String(request.id)],
      );
      await client.query(
        `INSERT INTO outbox (task_id, kind, message_id, exchange, routing_key, headers, body, available_at)
         VALUES ($1, 'dispatch', $2, 'tasks', $3, '{}', $4, now())`,
        [id, randomUUID(), `tasks.${priority.toLowerCase()}`, { taskId: id, type: body.type ?? 'noop', priority }],
      );
      await client.query('COMMIT');
      return reply.code(201).header('location', `/api/v1/tasks/${id}`).send(rows[0]);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  console.log(`reference listening on port ${new URL(address).port}`);
}

async function main() {
  const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
  const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
  const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
  const TARGETS = (process.env.BENCH_TARGETS ?? `reference,api,api-unbatched${process.env.BENCH_BASELINE_BUILD ? ',baseline' : ''}`).split(',');
  const { ensureBuild } = await import('../scripts/ensure-build.mjs');
  ensureBuild();
  const { loadConfig, postgresConnectionOptions } = await import('../dist/libs/config/src/index.js');
  const { postgres } = loadConfig(process.env);
  const name = `tasks_refbench_${process.pid}`;
  const amqpBase = new URL(process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
  const amqpUrl = `${amqpBase.protocol}//${amqpBase.username}:${amqpBase.password}@${amqpBase.host}/${name}`;
  const env = { ...process.env, POSTGRES_DB: name, RABBITMQ_URL: amqpUrl, LOG_LEVEL: 'info', API_PORT: '0', HEALTH_CHECK_PORT: '0' };
  const options = postgresConnectionOptions(postgres, name);
  const admin = new pg.Client(postgresConnectionOptions(postgres, 'postgres'));
  admin.on('error', () => undefined);
  await admin.connect();
  execFileSync('rabbitmqctl', ['-q', 'add_vhost', name]);
  execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', name, amqpBase.username || 'guest', '.*', '.*', '.*']);
  const children = [];
  try {
    execFileSync(process.execPath, ['dist/apps/migrate/src/main.js'], { env, stdio: 'ignore' });
    const db = new pg.Client(options);
    // A connection ended from outside fails the next query (and the run) instead of the process.
    db.on('error', () => undefined);
    await db.connect();
    const servers = {
      reference: () => start(children, [process.argv[1], '--serve'], { ...env, REFERENCE_POSTGRES: JSON.stringify(options) }),
      api: () => start(children, ['dist/apps/api/src/main.js'], env),
      'api-unbatched': () => start(children, ['dist/apps/api/src/main.js'], { ...env, CREATE_BATCH_WINDOW_MS: '0' }),
      baseline: () => start(children, ['dist/apps/api/src/main.js'], env, process.env.BENCH_BASELINE_BUILD),
    };
    console.log(`POST /api/v1/tasks, ${CONNECTIONS} connections, ${SECONDS} s per run, ${ROUNDS} rounds, node ${process.versions.node}\n`);
    console.log('target            round    req/s   p50 ms   p99 ms   errors   server CPU ms/req   Postgres CPU ms/req   idle p50 ms   idle p99 ms');
    const body = JSON.stringify({ title: 'bench', priority: 'LOW' });
    for (let round = 1; round <= ROUNDS; round++) {
      for (const target of TARGETS) {
        await db.query('TRUNCATE tasks, outbox CASCADE');
        const server = await servers[target]();
        await load(server.port, body, CONNECTIONS, 2); // warm-up
        const cpuBefore = cpuMs(server.child.pid);
        const dbBefore = await databaseCpuMs(db);
        const loaded = await load(server.port, body, CONNECTIONS, SECONDS);
        const cpuPerRequest = (cpuMs(server.child.pid) - cpuBefore) / loaded.count;
        const dbPerRequest = ((await databaseCpuMs(db)) - dbBefore) / loaded.count;
        const idle = await load(server.port, body, 1, 3);
        server.child.kill('SIGKILL');
        await new Promise((resolve) => server.child.once('exit', resolve));
        console.log(
          `${target.padEnd(16)}  ${String(round).padStart(5)}  ${Math.round(loaded.rate).toLocaleString('en').padStart(7)}  ` +
            `${loaded.p50.toFixed(1).padStart(7)}  ${loaded.p99.toFixed(1).padStart(7)}  ${String(loaded.errors).padStart(7)}  ` +
            `${cpuPerRequest.toFixed(3).padStart(18)}  ${dbPerRequest.toFixed(3).padStart(20)}  ` +
            `${idle.p50.toFixed(2).padStart(12)}  ${idle.p99.toFixed(2).padStart(12)}`,
        );
      }
    }
    await db.end();
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
    execFileSync('rabbitmqctl', ['-q', 'delete_vhost', name]);
  }
}

/** A server as a child process; resolves once it prints "listening on port N". */
function start(children, args, env, cwd = process.cwd()) {
  const child = spawn(process.execPath, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const output = [];
  return new Promise((resolve, reject) => {
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        output.push(line);
        const port = /listening on port (\d+)/.exec(line)?.[1];
        if (port) resolve({ child, port: Number(port) });
      });
    }
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}:\n${output.join('\n')}`)));
  });
}

/** `connections` keep-alive connections, each sending its next request when the last is answered, for `seconds`. */
async function load(port, body, connections, seconds) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies = [];
  let errors = 0;
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < until) {
        const started = performance.now();
        const status = await post(agent, port, body);
        latencies.push(performance.now() - started);
        if (status !== 201) errors++;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))];
  return { count: latencies.length, rate: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), errors };
}

/**
 * CPU time so far of the Postgres backends serving the bench database, other than `db`'s own, in
 * milliseconds. Both servers keep their pool's connections open, so the difference over a run is
 * what their statements cost the database (a backend started during the run adds its start-up).
 */
async function databaseCpuMs(db) {
  const { rows } = await db.query('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
  let total = 0;
  for (const { pid } of rows) {
    try {
      total += cpuMs(pid);
    } catch {
      // The backend ended between the query and the read.
    }
  }
  return total;
}

/** User and system CPU time of a process so far, in milliseconds (Linux). */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of the file, counted in clock ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function post(agent, port, body) {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/v1/tasks',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

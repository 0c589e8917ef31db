// The "bare Fastify" reference of `npm run bench`, run as its own process: POST /tasks writes a
// task row and its outbox row in a plain two-statement transaction (BEGIN; INSERT task;
// INSERT outbox; COMMIT), with no validation, no framework around Fastify and the same pool size
// as the API. It prints `listening on port N` once it serves.
// Environment: BENCH_PG (JSON pg.Pool options), BENCH_POOL_SIZE.
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';

const pool = new pg.Pool({ ...JSON.parse(process.env.BENCH_PG), max: Number(process.env.BENCH_POOL_SIZE ?? 10) });
const app = Fastify({ logger: false });

app.post('/tasks', async (request, reply) => {
  const body = request.body ?? {};
  const id = randomUUID();
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query(
      `INSERT INTO tasks (id, type, title, priority, payload, max_attempts, correlation_id)
       VALUES ($1, 'noop', $2, $3, '{}', 4, $4) RETURNING id, status, created_at`,
      [id, String(body.title ?? 'bench'), body.priority ?? 'LOW', randomUUID()],
    );
    await client.query(`INSERT INTO outbox (task_id, kind, message_id, exchange, routing_key, body) VALUES ($1, 'dispatch', $2, 'tasks', 'tasks.low', $3)`, [
      id,
      randomUUID(),
      JSON.stringify({ taskId: id }),
    ]);
    await client.query('COMMIT');
    reply.code(201);
    return rows[0];
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
});

const address = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`bare fastify listening on port ${new URL(address).port}`);
process.on('SIGTERM', () => {
  app
    .close()
    .then(() => pool.end())
    .then(
      () => process.exit(0),
      () => process.exit(1),
    );
});

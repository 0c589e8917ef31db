// The "plain worker" reference of `npm run bench`, run as its own process: consumes a RabbitMQ
// queue of `{"taskId": ...}` messages with a prefetch, and per message runs two one-row UPDATEs
// (claim: IN_PROGRESS with started_at; complete: COMPLETED with completed_at), then acks. No
// lease, no handler lookup, no retry. Prints `plain worker ready` once it consumes.
// Environment: BENCH_PG (JSON pg.Pool options), BENCH_AMQP_URL, BENCH_QUEUE, BENCH_PREFETCH.
import amqplib from 'amqplib';
import pg from 'pg';

const prefetch = Number(process.env.BENCH_PREFETCH ?? 50);
const pool = new pg.Pool({ ...JSON.parse(process.env.BENCH_PG), max: 10 });
const connection = await amqplib.connect(process.env.BENCH_AMQP_URL);
const channel = await connection.createChannel();
await channel.prefetch(prefetch);
await channel.consume(process.env.BENCH_QUEUE, (message) => {
  const { taskId } = JSON.parse(message.content.toString());
  pool
    .query("UPDATE tasks SET status = 'IN_PROGRESS', started_at = now(), updated_at = now(), attempts = attempts + 1 WHERE id = $1", [taskId])
    .then(() => pool.query("UPDATE tasks SET status = 'COMPLETED', completed_at = now(), updated_at = now() WHERE id = $1", [taskId]))
    .then(
      () => channel.ack(message),
      (error) => {
        console.error(error.message);
        channel.nack(message, false, false);
      },
    );
});
console.log('plain worker ready');
process.on('SIGTERM', () => {
  connection
    .close()
    .then(() => pool.end())
    .then(
      () => process.exit(0),
      () => process.exit(1),
    );
});

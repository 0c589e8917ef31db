// Peer systems of `npm run bench --peers`: BullMQ on the local Redis under a key prefix of its
// own, pg-boss in a database of its own. Each measures what the service's matching row measures.
import { closedLoop, now, sleep } from './load.mjs';
import { percentile } from './report.mjs';

/**
 * BullMQ: add() one job at a time with `concurrency` callers; a worker of concurrency 50 over
 * `drainJobs` queued no-op jobs; add-to-start of one job at a time on an idle queue
 * (processedOn - timestamp).
 */
export async function bullmq({ redisUrl, prefix, seconds, drainJobs, idleSamples, concurrency = 50 }) {
  const { Queue, Worker } = await import('bullmq');
  const { default: IORedis } = await import('ioredis');
  const connection = () => new IORedis(redisUrl, { maxRetriesPerRequest: null });
  const out = {};
  const queue = new Queue('bench', { connection: connection(), prefix });
  try {
    await queue.waitUntilReady();
    const adds = await closedLoop({ concurrency, ms: seconds * 1000, warmupMs: 1000, op: () => queue.add('noop', { n: 1 }) });
    out.addsPerSecond = adds.rate;
    out.addP50 = percentile(adds.latencies, 0.5);
    out.addP99 = percentile(adds.latencies, 0.99);
    await queue.obliterate({ force: true });

    for (let i = 0; i < drainJobs; i += 1000) {
      await queue.addBulk(Array.from({ length: Math.min(1000, drainJobs - i) }, () => ({ name: 'noop', data: { n: 1 } })));
    }
    let processed = 0;
    let first = 0;
    let last = 0;
    const drained = new Promise((resolve) => {
      const worker = new Worker(
        'bench',
        async () => {
          if (!first) first = now();
          return null;
        },
        { connection: connection(), prefix, concurrency, autorun: true },
      );
      worker.on('completed', () => {
        last = now();
        if (++processed === drainJobs) resolve(worker);
      });
    });
    const worker = await drained;
    out.processedPerSecond = drainJobs / ((last - first) / 1000);
    await worker.close();
    await queue.obliterate({ force: true });

    // Idle: one job at a time, each waits for its start.
    const starts = [];
    let onStart = null;
    const idleWorker = new Worker(
      'bench',
      async (job) => {
        onStart?.(job.processedOn - job.timestamp);
        return null;
      },
      { connection: connection(), prefix, concurrency: 1 },
    );
    await idleWorker.waitUntilReady();
    await sleep(500);
    for (let i = 0; i < idleSamples; i++) {
      const started = new Promise((resolve) => (onStart = resolve));
      await queue.add('noop', { n: 1 });
      starts.push(await started);
      await sleep(20);
    }
    out.idleP50 = percentile(starts, 0.5);
    out.idleP99 = percentile(starts, 0.99);
    await idleWorker.close();
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
  return out;
}

/**
 * pg-boss: send() one job at a time with `concurrency` callers; work() in batches of 100 over
 * `drainJobs` queued jobs; send-to-start of one job at a time on an idle queue with LISTEN/NOTIFY
 * (useListenNotify plus a notify queue), from the job's createdOn to its startedOn.
 */
export async function pgBoss({ connectionString, seconds, drainJobs, idleSamples, concurrency = 50 }) {
  const { PgBoss } = await import('pg-boss');
  const out = {};
  const boss = new PgBoss({ connectionString, max: 10, useListenNotify: true, schedule: false, supervise: true });
  boss.on('error', (error) => console.error(`pg-boss: ${error.message}`));
  await boss.start();
  try {
    await boss.createQueue('bench');
    const sends = await closedLoop({ concurrency, ms: seconds * 1000, warmupMs: 1000, op: () => boss.send('bench', { n: 1 }) });
    out.sendsPerSecond = sends.rate;
    out.sendP50 = percentile(sends.latencies, 0.5);
    out.sendP99 = percentile(sends.latencies, 0.99);
    await boss.deleteAllJobs?.('bench');
    await boss.deleteQueue('bench');

    await boss.createQueue('drain');
    for (let i = 0; i < drainJobs; i += 1000) {
      await boss.insert(
        'drain',
        Array.from({ length: Math.min(1000, drainJobs - i) }, () => ({ data: { n: 1 } })),
      );
    }
    let processed = 0;
    let first = 0;
    let last = 0;
    await new Promise((resolve, reject) => {
      boss
        .work('drain', { batchSize: 100, pollingIntervalSeconds: 0.5, burstWhenBatchFull: true }, async (jobs) => {
          if (!first) first = now();
          processed += jobs.length;
          last = now();
          if (processed >= drainJobs) resolve();
        })
        .catch(reject);
    });
    out.workPerSecond = drainJobs / ((last - first) / 1000);
    await boss.offWork('drain');
    await boss.deleteQueue('drain');

    await boss.createQueue('idle', { notify: true });
    const starts = [];
    let onStart = null;
    await boss.work('idle', { includeMetadata: true }, async ([job]) => {
      onStart?.(new Date(job.startedOn).getTime() - new Date(job.createdOn).getTime());
    });
    await sleep(1000);
    for (let i = 0; i < idleSamples; i++) {
      const started = new Promise((resolve) => (onStart = resolve));
      await boss.send('idle', { n: 1 });
      starts.push(await started);
      await sleep(20);
    }
    out.idleP50 = percentile(starts, 0.5);
    out.idleP99 = percentile(starts, 0.99);
    await boss.offWork('idle');
  } finally {
    await boss.stop({ graceful: false, timeout: 5000 }).catch(() => undefined);
  }
  return out;
}

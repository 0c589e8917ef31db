import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqplib from 'amqplib';
import request from 'supertest';
import { type Cluster, type ClusterNode, freePort, removeLeftoverClusters, startCluster } from '../../scripts/rabbitmq-cluster.mjs';
import type { AppProcess } from './support/app-process.js';
import { allTerminal } from './support/audit.js';
import { Suite, eventually } from './support/suite.js';

/** Temp folders of this suite's clusters; the pid after it lets a later run remove a killed run's cluster. */
const DIR_PREFIX = 'task-svc-rmqc-';
const MAX_RETRIES = 2;
const WORK_QUEUES = ['tasks.high', 'tasks.medium', 'tasks.low'];
const PRIORITIES = ['HIGH', 'MEDIUM', 'LOW'];

/**
 * The apps on a three-node RabbitMQ cluster with quorum queues, RABBITMQ_URL listing the three
 * nodes. Under a steady stream of new tasks the node every app is connected to is killed
 * (SIGKILL, as a crash would) and started again: the apps move to another node, and every task
 * still completes, each run once, while a failing task climbs the retry ladder and ends in the
 * DLQ. The cluster is private (free ports, its own temp dir); when it cannot start on this
 * machine the suite says why and checks nothing.
 */
describe('on a three-node RabbitMQ cluster with quorum queues', () => {
  let cluster: Cluster | undefined;
  let skipReason: string | undefined;
  let suite: Suite;
  let api: AppProcess;
  let relay: AppProcess;
  let worker: AppProcess;
  /** Listed first in the worker's RABBITMQ_URL, with nothing listening on it: a node gone for good. */
  let gonePort: number;

  beforeAll(async () => {
    await removeLeftoverClusters(DIR_PREFIX);
    const ports = await distinctFreePorts(7);
    const url = ports
      .slice(0, 3)
      .map((port) => `amqp://guest:guest@127.0.0.1:${port}`)
      .join(',');
    // The database is migrated while the nodes boot.
    const settingUp = Suite.create('cluster', {
      RABBITMQ_URL: url,
      QUEUE_TYPE: 'quorum',
      MAX_RETRIES: String(MAX_RETRIES),
      RETRY_DELAYS_SECONDS: '1',
      TASK_LEASE_SECONDS: '5',
    });
    // Awaited below; until then a failure must not count as unhandled.
    settingUp.catch(() => undefined);
    try {
      const started = Date.now();
      cluster = await startCluster({
        dir: mkdtempSync(join(tmpdir(), `${DIR_PREFIX}${process.pid}-`)),
        prefix: `rabbit-t${process.pid}-`,
        ports: ports.slice(0, 3),
        distPorts: ports.slice(3, 6),
        progress: (step) => timing(`cluster: ${step}`),
      });
      timing(`cluster up in ${Date.now() - started} ms`);
    } catch (error) {
      skipReason = `a three-node RabbitMQ cluster could not start here, so the cluster suite checks nothing: ${(error as Error).message}`;
      console.warn(skipReason);
    }
    suite = await settingUp;
    if (skipReason) return;
    if (cluster!.url() !== url) throw new Error(`the cluster listens on ${cluster!.url()}, the apps were set up for ${url}`);
    // The worker's list starts with a node that is gone for good (nothing listens on its port): it starts on the next one.
    gonePort = ports[6];
    const workerUrl = `amqp://guest:guest@127.0.0.1:${gonePort},${url}`;
    // Three Node processes booting side by side on a busy machine: a start timeout to match.
    [api, relay, worker] = await Promise.all([
      suite.startProcess('api', {}, 90_000),
      suite.startProcess('relay', {}, 90_000),
      suite.startProcess('worker', { RABBITMQ_URL: workerUrl }, 90_000),
    ]);
    for (const app of [api, relay, worker]) await eventually(async () => (await request(app.url).get('/ready')).status === 200, 30_000, `${app.name} ready`);
    timing('apps ready');
  }, 240_000);

  afterAll(async () => {
    await suite?.teardown();
    // Its data goes with it, so there is nothing to shut down cleanly.
    await cluster?.stop({ kill: true });
    timing('cluster stopped');
  }, 120_000);

  /** The AMQP port of the node `app` last logged connecting to. */
  const connectedPort = (app: AppProcess): number | undefined => {
    const lines = app.lines.filter((line) => /connected to RabbitMQ at 127\.0\.0\.1:\d+/.test(line));
    const last = lines.at(-1);
    return last ? Number(/127\.0\.0\.1:(\d+)/.exec(last)![1]) : undefined;
  };

  const createTasks = async (tasks: Record<string, unknown>[]): Promise<string[]> => {
    const res = await request(api.url).post('/api/v1/tasks/batch').send({ tasks }).expect(201);
    return res.body.tasks.map((t: { id: string }) => t.id);
  };

  it('loses no task and runs none twice while the node the apps use is killed and restarted; retries and the DLQ still work', async () => {
    if (skipReason || !cluster) {
      console.warn(`skipped: ${skipReason}`);
      return;
    }
    const live = cluster;
    // Every queue of the topology is a quorum queue, with members on all three nodes.
    const queues = await live.ctl(live.nodes[1], ['list_queues', 'name', 'type', '--no-table-headers']);
    for (const name of [...WORK_QUEUES, 'tasks.dlq', 'tasks.retry.1s']) expect(queues).toMatch(new RegExp(`^${name.replace('.', '\\.')}\\s+quorum$`, 'm'));

    expect(worker.lines.some((line) => line.includes(`cannot reach RabbitMQ at 127.0.0.1:${gonePort}`))).toBe(true);
    const victimPort = connectedPort(worker);
    const victim = live.nodes.find((node) => node.port === victimPort) as ClusterNode;
    expect(victim).toBeDefined();

    // A steady stream of short tasks, in all three priorities, for the whole scenario.
    const ids: string[] = [];
    let loading = true;
    const load = (async () => {
      for (let batch = 0; loading; batch++) {
        const tasks = Array.from({ length: 3 }, (_, i) => ({ title: `load ${batch}.${i}`, type: 'sleep', payload: { ms: 100 }, priority: PRIORITIES[i % 3] }));
        ids.push(...(await createTasks(tasks)));
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    await eventually(async () => ids.length >= 15, 15_000, 'the first tasks');
    // The ladder and the DLQ across the outage: one task fails once then succeeds, one fails every attempt.
    const [retried, deadLettered] = await createTasks([
      { title: 'fails once', type: 'fail', payload: { times: 1 } },
      { title: 'fails always', type: 'fail' },
    ]);
    await eventually(async () => (await suite.taskStatus(retried)) !== 'NEW', 10_000, 'the failing tasks to start');

    timing(`killing ${victim.name}`);
    await live.stopNode(victim, { kill: true });
    // Every app moves to a node that is still up.
    for (const app of [api, relay, worker]) {
      await eventually(async () => connectedPort(app) !== undefined && connectedPort(app) !== victim.port, 30_000, `${app.name} to reconnect`);
    }
    expect((await request(worker.url).get('/ready')).status).toBe(200);
    const duringOutage = ids.length;
    await eventually(async () => ids.length >= duringOutage + 15, 15_000, 'more tasks while the node is down');

    timing('apps reconnected; restarting the node');
    await live.startNode(victim);
    timing('node back');
    // The node is a member of every queue again, and online in it.
    await eventually(
      async () => {
        const members = await live.ctl(live.nodes[0] === victim ? live.nodes[1] : live.nodes[0], ['list_queues', 'name', 'online', '--no-table-headers']);
        const line = members.split('\n').find((l) => l.startsWith('tasks.high\t'));
        return line?.includes(victim.name);
      },
      30_000,
      `${victim.name} back in tasks.high`,
    );
    const afterRestart = ids.length;
    await eventually(async () => ids.length >= afterRestart + 9, 15_000, 'more tasks after the restart');
    loading = false;
    await load;

    const all = [...ids, retried, deadLettered];
    await allTerminal(suite, all, 90_000);
    timing(`${all.length} tasks terminal`);

    // Nothing lost: every task of the stream completed, each with exactly one run and one finish.
    const { rows: byStatus } = await suite.sql.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM tasks WHERE id = ANY($1) GROUP BY status',
      [ids],
    );
    expect(byStatus).toEqual([{ status: 'COMPLETED', n: ids.length }]);
    const { rows: runs } = await suite.sql.query<{ task_id: string; runs: number; finishes: number }>(
      `SELECT t.id AS task_id,
              count(*) FILTER (WHERE e.status = 'IN_PROGRESS')::int AS runs,
              count(*) FILTER (WHERE e.status IN ('COMPLETED', 'FAILED', 'CANCELLED'))::int AS finishes
         FROM tasks t LEFT JOIN task_events e ON e.task_id = t.id
        WHERE t.id = ANY($1) GROUP BY t.id`,
      [ids],
    );
    expect(runs.filter((r) => r.runs !== 1 || r.finishes !== 1)).toEqual([]);

    // The apps said which node they moved to, and never with its credentials.
    for (const app of [api, relay, worker]) expect(app.lines.filter((line) => line.includes(':guest@'))).toEqual([]);

    // The ladder: one retry, then success; and every attempt of the other, then FAILED.
    const once = await request(api.url).get(`/api/v1/tasks/${retried}`).expect(200);
    expect(once.body).toMatchObject({ status: 'COMPLETED', attempts: 2 });
    const always = await request(api.url).get(`/api/v1/tasks/${deadLettered}`).expect(200);
    expect(always.body).toMatchObject({ status: 'FAILED', attempts: MAX_RETRIES + 1 });

    // The DLQ holds the copy of the failed task, and the work and delay queues end empty.
    const connection = await amqplib.connect(live.url().split(',')[live.nodes.indexOf(victim) === 0 ? 1 : 0]);
    try {
      const channel = await connection.createChannel();
      await eventually(async () => (await channel.checkQueue('tasks.dlq')).messageCount > 0, 15_000, 'the copy in tasks.dlq');
      // A publish whose confirm was lost with the node is published again (at least once), so a second copy may be there.
      const dead: amqplib.GetMessage[] = [];
      for (let message = await channel.get('tasks.dlq', { noAck: true }); message; message = await channel.get('tasks.dlq', { noAck: true })) {
        dead.push(message);
      }
      expect(dead.length).toBeGreaterThan(0);
      for (const message of dead) {
        expect(JSON.parse(message.content.toString())).toMatchObject({ taskId: deadLettered });
        expect(message.properties.headers?.['x-task-dead-reason']).toBe('max-attempts-exhausted');
      }
      for (const queue of [...WORK_QUEUES, 'tasks.retry.1s']) {
        await eventually(async () => (await channel.checkQueue(queue)).messageCount === 0, 15_000, `${queue} to drain`);
      }
    } finally {
      await connection.close();
    }
  }, 180_000);
});

const t0 = Date.now();
/** With TEST_TIMINGS set, prints how far the suite got and when (the cluster's start takes most of it). */
function timing(step: string): void {
  if (process.env.TEST_TIMINGS) console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${step}`);
}

/** `count` free ports, no two alike (each is free when asked, so two asks can return the same one). */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

import { Suite, eventually } from './support/suite.js';
import { TcpProxy } from './support/tcp-proxy.js';

/** The value of one sample of `name` with `queue="..."` in a Prometheus text, or undefined when absent. */
function sample(text: string, name: string, queue: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{queue="${queue}"} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

/** The per-queue gauges on the relay's /metrics, read from the real RabbitMQ at scrape time. */
describe('queue metrics on the relay', () => {
  let suite: Suite;

  beforeAll(async () => {
    suite = await Suite.create('qmetrics');
  });

  afterAll(async () => {
    await suite.teardown();
  });

  const scrape = async (url: string) => {
    const response = await fetch(`${url}/metrics`);
    return { status: response.status, text: await response.text() };
  };

  it('reports the ready depth and the consumers of each task queue and of the DLQ', async () => {
    const relay = await suite.startProcess('relay');
    try {
      const channel = await suite.channel();
      try {
        for (let i = 0; i < 7; i++) channel.sendToQueue('tasks.low', Buffer.from('{}'));
        for (let i = 0; i < 3; i++) channel.sendToQueue('tasks.dlq', Buffer.from('{}'));
        await eventually(async () => (await suite.queueDepth('tasks.low')) === 7, 10_000, 'the messages to be queued');
      } finally {
        await channel.close();
      }

      // The relay caches the broker's answer for a second: wait for one taken after the sends.
      await eventually(async () => sample((await scrape(relay.url)).text, 'tasks_queue_messages_ready', 'tasks.low') === 7, 10_000, 'the gauge to show 7');
      const { status, text } = await scrape(relay.url);
      expect(status).toBe(200);
      expect(sample(text, 'tasks_queue_messages_ready', 'tasks.dlq')).toBe(3);
      expect(sample(text, 'tasks_queue_messages_ready', 'tasks.high')).toBe(0);
      expect(sample(text, 'tasks_queue_messages_ready', 'tasks.medium')).toBe(0);
      for (const queue of ['tasks.high', 'tasks.medium', 'tasks.low', 'tasks.dlq']) expect(sample(text, 'tasks_queue_consumers', queue)).toBe(0);
    } finally {
      await relay.stop();
      await suite.drainQueue('tasks.low');
      await suite.drainQueue('tasks.dlq');
    }
  });

  it('answers the scrape without the gauges while the broker cannot be reached', async () => {
    const proxy = new TcpProxy(5672);
    const port = await proxy.reservePort();
    await proxy.open();
    const relay = await suite.startProcess('relay', { RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${port}/${suite.vhost}` });
    try {
      await eventually(
        async () => sample((await scrape(relay.url)).text, 'tasks_queue_messages_ready', 'tasks.high') === 0,
        10_000,
        'the gauge while connected',
      );
      await proxy.close();

      await eventually(
        async () => {
          const { status, text } = await scrape(relay.url);
          return status === 200 && sample(text, 'tasks_queue_messages_ready', 'tasks.high') === undefined;
        },
        10_000,
        'a scrape without the gauge',
      );
      const { status, text } = await scrape(relay.url);
      expect(status).toBe(200);
      expect(text).toContain('outbox_rows_published_total');
      for (const queue of ['tasks.high', 'tasks.medium', 'tasks.low', 'tasks.dlq']) {
        expect(sample(text, 'tasks_queue_messages_ready', queue)).toBeUndefined();
        expect(sample(text, 'tasks_queue_consumers', queue)).toBeUndefined();
      }
    } finally {
      await relay.stop();
      await proxy.close();
    }
  });
});

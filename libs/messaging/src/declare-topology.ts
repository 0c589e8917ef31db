import type { Channel } from 'amqplib';
import type { Topology } from './topology.js';

/** What a declaration found that it could not change. */
export interface TopologyMismatch {
  kind: 'exchange' | 'queue';
  name: string;
  reason: string;
}

/**
 * Declares exchanges, queues and bindings. Declaring what exists with the same arguments is a
 * no-op in RabbitMQ, so every app runs this after every (re)connect.
 *
 * A queue or exchange that already exists with other arguments (a queue made classic before
 * QUEUE_TYPE=quorum, a changed TTL) makes RabbitMQ close the channel with PRECONDITION_FAILED.
 * That must not crash-loop the app: the existing one is used as it is, the mismatch is
 * reported, and the declaration goes on with a fresh channel. A new step of the retry ladder
 * has a new name (`tasks.retry.<n>s`), so changing RETRY_DELAYS_SECONDS creates new queues.
 *
 * A queue's obsolete bindings (the delay queues' old bindings, which matched every message)
 * are removed before its bindings are made. Removing a binding that does not exist is a no-op
 * in RabbitMQ, so this stays idempotent.
 */
export async function declareTopology(openChannel: () => Promise<Channel>, topology: Topology): Promise<TopologyMismatch[]> {
  const mismatches: TopologyMismatch[] = [];
  const open = async () => {
    const ch = await openChannel();
    // A refused declaration closes the channel with an 'error' event; the rejected call reports it.
    ch.on('error', () => undefined);
    return ch;
  };
  let channel = await open();
  const attempt = async (kind: TopologyMismatch['kind'], name: string, declare: (ch: Channel) => Promise<unknown>) => {
    try {
      await declare(channel);
    } catch (error) {
      if ((error as { code?: number }).code !== 406) throw error;
      mismatches.push({ kind, name, reason: (error as Error).message });
      channel = await open();
    }
  };
  try {
    for (const exchange of topology.exchanges) {
      await attempt('exchange', exchange.name, (ch) => ch.assertExchange(exchange.name, exchange.type, { durable: true }));
    }
    for (const queue of topology.queues) {
      await attempt('queue', queue.name, (ch) => ch.assertQueue(queue.name, { durable: true, arguments: queue.arguments }));
      for (const binding of queue.obsoleteBindings ?? []) {
        await channel.unbindQueue(queue.name, binding.exchange, binding.routingKey, binding.arguments);
      }
      for (const binding of queue.bindings) {
        await channel.bindQueue(queue.name, binding.exchange, binding.routingKey, binding.arguments);
      }
    }
  } finally {
    await channel.close().catch(() => undefined);
  }
  return mismatches;
}

import type { Channel } from 'amqplib';
import type { Topology } from './topology.js';

/**
 * Declares exchanges, queues and bindings. Declaring what exists with the same arguments is
 * a no-op in RabbitMQ, so every app runs this at every (re)connect.
 */
export async function declareTopology(channel: Channel, topology: Topology): Promise<void> {
  for (const exchange of topology.exchanges) {
    await channel.assertExchange(exchange.name, exchange.type, { durable: true });
  }
  for (const queue of topology.queues) {
    await channel.assertQueue(queue.name, { durable: true, arguments: queue.arguments });
    for (const binding of queue.bindings) {
      await channel.bindQueue(queue.name, binding.exchange, binding.routingKey, binding.arguments);
    }
  }
}

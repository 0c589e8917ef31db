import type { OutgoingMessage } from '#messaging';

/**
 * The five bound parameters of an outbox row, in the order every statement that writes one
 * takes them: message_id, exchange, routing_key, headers, body.
 */
export function outboxParams(message: OutgoingMessage): [string, string, string, string, string] {
  return [message.messageId, message.exchange, message.routingKey, JSON.stringify(message.headers), JSON.stringify(message.body)];
}

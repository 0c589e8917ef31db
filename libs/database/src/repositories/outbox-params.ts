import type { OutgoingMessage } from '#messaging';

/**
 * The five bound parameters of an outbox row, in the order every statement that writes one
 * takes them: message_id, exchange, routing_key, headers, body.
 */
export function outboxParams(message: OutgoingMessage): [string, string, string, string, string] {
  return [message.messageId, message.exchange, message.routingKey, JSON.stringify(message.headers), JSON.stringify(message.body)];
}

/**
 * The outbox columns of a message as one JSON object, for the statements that take their rows
 * as a JSON array (`jsonb_to_recordset`).
 */
export function outboxColumns(message: OutgoingMessage): {
  message_id: string;
  exchange: string;
  routing_key: string;
  headers: Record<string, string | number>;
  body: OutgoingMessage['body'];
} {
  return { message_id: message.messageId, exchange: message.exchange, routing_key: message.routingKey, headers: message.headers, body: message.body };
}

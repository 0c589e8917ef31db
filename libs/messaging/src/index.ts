export * from './topology.js';
export * from './declare-topology.js';
export * from './task-message.js';
export * from './amqp-connection.service.js';
export * from './message-publisher.service.js';
export * from './message-consumer.js';
export * from './messaging.module.js';
export * from './queue-inspector.service.js';

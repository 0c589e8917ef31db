import { Global, Module } from '@nestjs/common';
import { AmqpConnectionService } from './amqp-connection.service.js';
import { MessagePublisher } from './message-publisher.service.js';
import { QueueInspector } from './queue-inspector.service.js';

/** RabbitMQ for the apps: the connection and the publisher. Consumers are built by the worker. */
@Global()
@Module({
  providers: [AmqpConnectionService, MessagePublisher, QueueInspector],
  exports: [AmqpConnectionService, MessagePublisher, QueueInspector],
})
export class MessagingModule {}

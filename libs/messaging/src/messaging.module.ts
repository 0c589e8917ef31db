import { Global, Module } from '@nestjs/common';
import { AmqpConnectionService } from './amqp-connection.service.js';
import { MessagePublisher } from './message-publisher.service.js';

/** RabbitMQ for the apps: the connection and the publisher. Consumers are built by the worker. */
@Global()
@Module({
  providers: [AmqpConnectionService, MessagePublisher],
  exports: [AmqpConnectionService, MessagePublisher],
})
export class MessagingModule {}

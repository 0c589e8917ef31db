import { Global, Module } from '@nestjs/common';
import { AmqpConnectionService } from './amqp-connection.service.js';
import { DeadLetterQueue } from './dead-letter-queue.service.js';
import { MessagePublisher } from './message-publisher.service.js';
import { QueueInspector } from './queue-inspector.service.js';
import { RabbitMqHealthIndicator } from './rabbitmq-health.indicator.js';

/** RabbitMQ for the apps: the connection and the publisher. Consumers are built by the worker. */
@Global()
@Module({
  providers: [AmqpConnectionService, MessagePublisher, QueueInspector, DeadLetterQueue, RabbitMqHealthIndicator],
  exports: [AmqpConnectionService, MessagePublisher, QueueInspector, DeadLetterQueue, RabbitMqHealthIndicator],
})
export class MessagingModule {}

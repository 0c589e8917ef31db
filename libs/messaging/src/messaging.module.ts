import { type DynamicModule, Global, Module } from '@nestjs/common';
import { AmqpConnectionService, MESSAGING_OPTIONS, type MessagingOptions } from './amqp-connection.service.js';
import { MessagePublisher } from './message-publisher.service.js';
import { QueueInspector } from './queue-inspector.service.js';
import { RabbitMqHealthIndicator } from './rabbitmq-health.indicator.js';

/** RabbitMQ for the apps: the connection and the publisher. Consumers are built by the worker. */
@Global()
@Module({})
export class MessagingModule {
  /**
   * `retryDelayStepsSeconds`: the delay steps the task types' own retry policies need
   * (`TaskRegistry.retryDelaySteps()`), declared beside the RETRY_DELAYS_SECONDS ladder. Every app
   * passes those of the same handler list, so all declare the same queues.
   */
  static forRoot(options: MessagingOptions = {}): DynamicModule {
    return {
      module: MessagingModule,
      providers: [{ provide: MESSAGING_OPTIONS, useValue: options }, AmqpConnectionService, MessagePublisher, QueueInspector, RabbitMqHealthIndicator],
      exports: [AmqpConnectionService, MessagePublisher, QueueInspector, RabbitMqHealthIndicator],
    };
  }
}

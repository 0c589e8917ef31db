import { type DynamicModule, Global, Module } from '@nestjs/common';
import { AmqpConnectionService, MESSAGING_OPTIONS, type MessagingOptions, QUEUE_GROUPS } from './amqp-connection.service.js';
import { DeadLetterQueue } from './dead-letter-queue.service.js';
import { MessagePublisher } from './message-publisher.service.js';
import { QueueInspector } from './queue-inspector.service.js';
import { RabbitMqHealthIndicator } from './rabbitmq-health.indicator.js';

const PROVIDERS = [AmqpConnectionService, MessagePublisher, QueueInspector, DeadLetterQueue, RabbitMqHealthIndicator];

/** RabbitMQ for the apps: the connection and the publisher. Consumers are built by the worker. */
@Global()
@Module({})
export class MessagingModule {
  /**
   * `retryDelayStepsSeconds`: the delay steps the task types' own retry policies need
   * (`TaskRegistry.retryDelaySteps()`), declared beside the RETRY_DELAYS_SECONDS ladder.
   * `queueGroups`: the queue groups of the task types (`TaskRegistry.queueGroups()`), whose work
   * queues the topology declares beside `tasks.*`. Every app passes those of the same handler
   * list, so every app declares the same topology.
   */
  static forRoot(options: MessagingOptions & { queueGroups?: readonly string[] } = {}): DynamicModule {
    return {
      module: MessagingModule,
      providers: [...PROVIDERS, { provide: MESSAGING_OPTIONS, useValue: options }, { provide: QUEUE_GROUPS, useValue: [...(options.queueGroups ?? [])] }],
      exports: [...PROVIDERS, QUEUE_GROUPS],
    };
  }
}

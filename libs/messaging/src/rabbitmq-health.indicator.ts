import { Injectable } from '@nestjs/common';
import { AmqpConnectionService } from './amqp-connection.service.js';

/** `/ready`'s RabbitMQ check: the connection is up; when not, why. Has the shape of observability's HealthIndicator. */
@Injectable()
export class RabbitMqHealthIndicator {
  readonly name = 'rabbitmq';

  constructor(private readonly amqp: AmqpConnectionService) {}

  async check(): Promise<{ up: boolean; problem?: string }> {
    return this.amqp.isConnected() ? { up: true } : { up: false, problem: this.amqp.describeProblem() };
  }
}

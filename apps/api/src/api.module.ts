import { type DynamicModule, Module } from '@nestjs/common';
import { type AppConfig, ConfigModule } from '#config';
import { DatabaseModule } from '#database';
import { MessagingModule } from '#messaging';
import { ObservabilityModule } from '#observability';
import { TasksModule } from './tasks/tasks.module.js';

/** The REST API: tasks over HTTP, writing to Postgres; RabbitMQ only for `/ready`. */
@Module({})
export class ApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [ConfigModule.forRoot(config), DatabaseModule, MessagingModule, ObservabilityModule, TasksModule],
    };
  }
}

import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from '#config';
import { dataSourceOptions } from './data-source.js';
import { DatabaseService } from './database.service.js';
import { PostgresHealthIndicator } from './postgres-health.indicator.js';
import { IdempotencyRepository } from './repositories/idempotency.repository.js';
import { MaintenanceRepository } from './repositories/maintenance.repository.js';
import { OutboxRepository } from './repositories/outbox.repository.js';
import { TaskExecutionRepository } from './repositories/task-execution.repository.js';
import { TaskRepository } from './repositories/task.repository.js';

/**
 * PostgreSQL for the apps: TypeORM's data source (no synchronize, no migrations at boot),
 * the {@link DatabaseService} and the repositories.
 */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        ...dataSourceOptions(config),
        // Keep trying in the background rather than dying when Postgres is not up yet.
        retryAttempts: Number.MAX_SAFE_INTEGER,
        retryDelay: 1000,
      }),
    }),
  ],
  providers: [
    DatabaseService,
    TaskRepository,
    TaskExecutionRepository,
    OutboxRepository,
    IdempotencyRepository,
    MaintenanceRepository,
    PostgresHealthIndicator,
  ],
  exports: [DatabaseService, TaskRepository, TaskExecutionRepository, OutboxRepository, IdempotencyRepository, MaintenanceRepository, PostgresHealthIndicator],
})
export class DatabaseModule {}

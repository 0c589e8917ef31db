import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import { DatabaseService } from './database.service.js';
import { createPool, PG_POOL } from './pool.js';
import { PostgresHealthIndicator } from './postgres-health.indicator.js';
import { DeadLetterRepository } from './repositories/dead-letter.repository.js';
import { IdempotencyRepository } from './repositories/idempotency.repository.js';
import { MaintenanceRepository } from './repositories/maintenance.repository.js';
import { OutboxRepository } from './repositories/outbox.repository.js';
import { TaskExecutionRepository } from './repositories/task-execution.repository.js';
import { TaskRepository } from './repositories/task.repository.js';

/** What the apps use: the transaction helper, the repositories and the health indicator. */
const EXPORTED = [
  DatabaseService,
  TaskRepository,
  DeadLetterRepository,
  TaskExecutionRepository,
  OutboxRepository,
  IdempotencyRepository,
  MaintenanceRepository,
  PostgresHealthIndicator,
];

/**
 * PostgreSQL for the apps: a node-postgres pool (no schema change at boot: only the migrate app
 * migrates), the {@link DatabaseService} and the repositories.
 */
@Global()
@Module({
  providers: [{ provide: PG_POOL, inject: [APP_CONFIG], useFactory: (config: AppConfig) => createPool(config) }, ...EXPORTED],
  exports: EXPORTED,
})
export class DatabaseModule {}

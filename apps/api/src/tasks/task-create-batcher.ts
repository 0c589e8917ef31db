import { type BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import { DatabaseService, isDatabaseUnavailable, type NewTaskWithDispatch, type TaskRecord, TaskRepository } from '#database';
import { GroupCommit } from './group-commit.js';

/**
 * At most this many group-commit statements at once: one being committed while the next is
 * sent. More would only cut the batches smaller and take pool connections the other calls need.
 */
const STATEMENTS_IN_FLIGHT = 2;

/**
 * Writes single creates (`POST /tasks` without an Idempotency-Key) by group commit: the creates
 * that arrive side by side go out as one INSERT_TASKS_WITH_OUTBOX statement, one commit, and each
 * request gets its own task or its own error (see {@link GroupCommit}). When the database cannot
 * be reached, every create of the batch gets that error (a 503); any other failure of a batch is
 * retried create by create, so a value Postgres refuses fails only the request that sent it.
 * CREATE_BATCH_WINDOW_MS=0 writes each create by its own statement.
 */
@Injectable()
export class TaskCreateBatcher implements BeforeApplicationShutdown {
  private readonly group: GroupCommit<NewTaskWithDispatch, TaskRecord> | null;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly database: DatabaseService,
    private readonly tasks: TaskRepository,
  ) {
    const { windowMs, max } = config.api.createBatch;
    this.group =
      windowMs === 0
        ? null
        : new GroupCommit((items) => this.tasks.createWithDispatch(this.database, items), {
            windowMs,
            maxBatch: max,
            maxInFlight: STATEMENTS_IN_FLIGHT,
            isSharedFailure: isDatabaseUnavailable,
          });
  }

  async create(item: NewTaskWithDispatch): Promise<TaskRecord> {
    if (!this.group) return (await this.tasks.createWithDispatch(this.database, [item]))[0];
    return this.group.submit(item);
  }

  /** Creates taken and not yet answered (0 when batching is off). */
  get pending(): number {
    return this.group?.pending ?? 0;
  }

  /** Lets the creates already taken be written and answered before the pool closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.group?.drained();
  }
}

import { Injectable } from '@nestjs/common';
import { FIND_IDEMPOTENCY_KEY, RECORD_IDEMPOTENT_RESULT, TAKE_IDEMPOTENCY_KEY } from '../sql/idempotency.sql.js';
import type { SqlExecutor } from '../sql-executor.js';

/** Idempotency keys of the create calls. Call `take` and `record` in the transaction that creates. */
@Injectable()
export class IdempotencyRepository {
  /** True when this request owns the key now (new, or its last use expired). */
  async take(tx: SqlExecutor, scope: string, key: string, requestHash: string): Promise<boolean> {
    const { rows } = await tx.query(TAKE_IDEMPOTENCY_KEY, [scope, key, requestHash]);
    return rows.length > 0;
  }

  async record(tx: SqlExecutor, scope: string, key: string, taskIds: string[]): Promise<void> {
    await tx.query(RECORD_IDEMPOTENT_RESULT, [scope, key, taskIds]);
  }

  async find(executor: SqlExecutor, scope: string, key: string): Promise<{ requestHash: string; taskIds: string[] } | null> {
    const { rows } = await executor.query<{ request_hash: string; task_ids: string[] }>(FIND_IDEMPOTENCY_KEY, [scope, key]);
    return rows[0] ? { requestHash: rows[0].request_hash, taskIds: rows[0].task_ids } : null;
  }
}

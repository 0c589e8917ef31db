import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { QueryRunnerExecutor, type SqlExecutor, type SqlResult } from './sql-executor.js';

/**
 * The one door to PostgreSQL for services: single statements on the pool, or a transaction
 * on one connection. Nothing outside libs/database touches TypeORM's DataSource.
 */
@Injectable()
export class DatabaseService implements SqlExecutor {
  constructor(private readonly dataSource: DataSource) {}

  /** One statement on a pooled connection: its own implicit transaction, one round trip. */
  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<SqlResult<T>> {
    const runner = this.dataSource.createQueryRunner();
    try {
      return await new QueryRunnerExecutor(runner).query<T>(sql, params);
    } finally {
      await runner.release();
    }
  }

  /** Runs `work` in one transaction; commits when it resolves, rolls back when it throws. */
  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((manager) => work(new QueryRunnerExecutor(manager.queryRunner!)));
  }

  /** True when a trivial query answers within `timeoutMs`. */
  async ping(timeoutMs = 2000): Promise<boolean> {
    try {
      await withTimeout(this.query('SELECT 1'), timeoutMs);
      return true;
    } catch {
      return false;
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

import type pg from 'pg';
import type { EntityManager, QueryRunner } from 'typeorm';

/** Rows and the affected count of one statement. */
export interface SqlResult<T> {
  rows: T[];
  rowCount: number;
}

/**
 * One open connection, inside a transaction or not. Repositories take it explicitly, so a
 * caller decides what else commits with a task: its own rows, in the same transaction as the
 * task and its outbox row.
 */
export interface SqlExecutor {
  /**
   * `options.name`: run it as a named prepared statement, parsed and planned once per
   * connection instead of on every call (for a hot statement; never through a transaction-mode
   * pooler, whose server connections do not keep a session's statements). Ignored where it does
   * not apply.
   */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], options?: QueryOptions): Promise<SqlResult<T>>;
}

/** See {@link SqlExecutor.query}. */
export interface QueryOptions {
  name?: string;
}

/**
 * Adapts a node-postgres client (the apps' transactions). `begun`: the BEGIN sent just before,
 * whose answer was not awaited (the connection pipelines): each statement is sent at once, and
 * answers only once that BEGIN has, so a BEGIN that failed fails the statement behind it too.
 */
export class ClientExecutor implements SqlExecutor {
  constructor(
    private readonly client: pg.PoolClient | pg.Client,
    private readonly begun?: Promise<unknown>,
  ) {}

  async query<T>(sql: string, params: unknown[] = [], options?: QueryOptions): Promise<SqlResult<T>> {
    const running = options?.name ? this.client.query({ name: options.name, text: sql, values: params }) : this.client.query(sql, params);
    if (this.begun) {
      try {
        await this.begun;
      } catch (error) {
        running.catch(() => undefined);
        throw error;
      }
    }
    const result = await running;
    return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
  }
}

/** Adapts a TypeORM query runner (a caller's own TypeORM transaction, see {@link executorOf}). */
export class QueryRunnerExecutor implements SqlExecutor {
  constructor(private readonly runner: QueryRunner) {}

  async query<T>(sql: string, params: unknown[] = []): Promise<SqlResult<T>> {
    const result = await this.runner.query(sql, params, true);
    return { rows: (result.records ?? []) as T[], rowCount: result.affected ?? result.records?.length ?? 0 };
  }
}

/**
 * Lets a user write tasks inside their own TypeORM transaction, with their own data:
 * `dataSource.transaction(m => tasks.createWithDispatch(executorOf(m), items))` (README,
 * "Creating a task inside your own transaction").
 */
export function executorOf(manager: EntityManager): SqlExecutor {
  if (!manager.queryRunner) throw new Error('executorOf needs the EntityManager of a transaction (dataSource.transaction(manager => ...))');
  return new QueryRunnerExecutor(manager.queryRunner);
}

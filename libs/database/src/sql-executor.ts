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
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<SqlResult<T>>;
  /**
   * The same statement as a named prepared statement `name`, where this executor keeps them:
   * Postgres then parses and plans it once per connection instead of on every call. Never
   * through a transaction-mode pooler, whose server connections do not keep a session's
   * statements; an executor without it (a caller's TypeORM transaction) runs `query`.
   */
  queryPrepared?<T = Record<string, unknown>>(name: string, sql: string, params: unknown[]): Promise<SqlResult<T>>;
}

/** `sql` as the prepared statement `name` where `executor` keeps them (see {@link SqlExecutor.queryPrepared}), else as it is. */
export function queryPrepared<T = Record<string, unknown>>(executor: SqlExecutor, name: string, sql: string, params: unknown[]): Promise<SqlResult<T>> {
  return executor.queryPrepared ? executor.queryPrepared<T>(name, sql, params) : executor.query<T>(sql, params);
}

/**
 * Adapts a node-postgres client (the apps' transactions). `begun`: the BEGIN sent just before,
 * whose answer was not awaited (the connection pipelines): each statement is sent at once, and
 * answers only once that BEGIN has, so a BEGIN that failed fails the statement behind it too.
 * `named`: whether {@link queryPrepared} names its statements (false through a transaction-mode
 * pooler).
 */
export class ClientExecutor implements SqlExecutor {
  constructor(
    private readonly client: pg.PoolClient | pg.Client,
    private readonly begun?: Promise<unknown>,
    private readonly named = false,
  ) {}

  query<T>(sql: string, params: unknown[] = []): Promise<SqlResult<T>> {
    return this.run<T>(this.client.query(sql, params));
  }

  queryPrepared<T>(name: string, sql: string, params: unknown[]): Promise<SqlResult<T>> {
    return this.run<T>(this.named ? this.client.query({ name, text: sql, values: params }) : this.client.query(sql, params));
  }

  private async run<T>(running: Promise<pg.QueryResult>): Promise<SqlResult<T>> {
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

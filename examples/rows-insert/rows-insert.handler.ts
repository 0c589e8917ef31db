import { Injectable } from '@nestjs/common';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, Matches, Max, Min, ValidateNested } from 'class-validator';
import { DatabaseService } from '#database';
import { type BatchContext, type BatchItem, type BatchItemResult, type BatchTaskHandlerContract, PermanentTaskError, TaskHandler } from '#tasks';
import { insertRows, type RowToInsert } from './insert-rows.sql.js';

export class OrderLine {
  /** The product: 1 to 40 uppercase letters, digits or dashes. */
  @Matches(/^[A-Z0-9-]{1,40}$/, { message: 'sku must be 1 to 40 uppercase letters, digits or dashes' })
  sku!: string;

  @IsInt()
  @Min(1)
  @Max(1_000_000)
  quantity!: number;
}

export class RowsInsertPayload {
  /** The rows this task writes, one per line. */
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => OrderLine)
  lines!: OrderLine[];
}

/** A task's result: how many of its rows the table holds. */
export interface RowsInsertResult {
  rows: number;
}

/**
 * Writes many rows at once: the worker gathers up to 100 `rows.insert` tasks (or what came within
 * 200 ms of the first) and hands them to `runBatch`, which writes the rows of every valid task in
 * one multi-row INSERT, one round trip for the whole batch instead of one per task.
 *
 * Each task gets its own answer, in the order of `items`:
 * - a task whose lines name one sku twice is refused alone (`PermanentTaskError`: FAILED at
 *   once, no retry), and its neighbours are written;
 * - when the INSERT itself fails (the database is away, say), every task of the batch fails this
 *   attempt and is retried by the type's policy (3 attempts, 2 s then 4 s apart);
 * - the INSERT skips rows it already holds (the key is task id and line number), so an attempt
 *   that is run again after a retry or a lost lease writes nothing twice.
 *
 * `batch.size` (100) must not exceed WORKER_PREFETCH (the worker refuses to start otherwise):
 * each gathered task holds one of its slots.
 */
@Injectable()
@TaskHandler({
  type: 'rows.insert',
  payload: RowsInsertPayload,
  description: 'Example: writes the order lines of many tasks into example_rows in one INSERT.',
  batch: { size: 100, maxWaitMs: 200 },
  maxAttempts: 3,
  retry: { backoff: 'exponential', initialDelaySeconds: 2, maxDelaySeconds: 60 },
  timeoutSeconds: 30,
})
export class RowsInsertHandler implements BatchTaskHandlerContract<RowsInsertPayload, RowsInsertResult> {
  constructor(private readonly database: DatabaseService) {}

  async runBatch(items: readonly BatchItem<RowsInsertPayload>[], context: BatchContext): Promise<BatchItemResult<RowsInsertResult>[]> {
    const answers = items.map((item) => checkLines(item));
    const rows: RowToInsert[] = items.flatMap((item, i) =>
      answers[i] === undefined && !item.signal.aborted
        ? item.payload.lines.map((line, index) => ({ taskId: item.taskId, line: index + 1, sku: line.sku, quantity: line.quantity }))
        : [],
    );
    // Nothing to write once the batch ran out of time or every task was cancelled: its signal says so.
    context.signal.throwIfAborted();
    if (rows.length > 0) await insertRows(this.database, rows);
    return items.map((item, i) => answers[i] ?? { ok: true, result: { rows: item.payload.lines.length } });
  }
}

/** A refusal for a task whose lines name one sku twice; undefined when its lines are fine. */
function checkLines(item: BatchItem<RowsInsertPayload>): BatchItemResult<RowsInsertResult> | undefined {
  const seen = new Set<string>();
  for (const line of item.payload.lines) {
    if (seen.has(line.sku)) return { ok: false, error: new PermanentTaskError(`sku ${line.sku} appears on two lines`) };
    seen.add(line.sku);
  }
  return undefined;
}

import type { SqlExecutor } from '#database';

/** One row of `example_rows`. */
export interface RowToInsert {
  taskId: string;
  /** 1-based line number within its task. */
  line: number;
  sku: string;
  quantity: number;
}

/**
 * The example's own table. In a deployment a migration creates it (see migrations/); the
 * example's test creates it in its own database.
 */
export const CREATE_EXAMPLE_ROWS = `
  CREATE TABLE IF NOT EXISTS example_rows (
    task_id  uuid    NOT NULL,
    line     integer NOT NULL,
    sku      text    NOT NULL,
    quantity integer NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (task_id, line)
  )`;

/**
 * Every row of a batch in one statement: four arrays unnested side by side, so the statement and
 * its parameters stay the same size whatever the number of rows (no placeholder per value, no
 * 65535-parameter limit). ON CONFLICT DO NOTHING on the key (task id, line) makes a repeated
 * attempt write nothing twice: a task retried after the INSERT committed, or run again after its
 * lease was lost, finds its rows there.
 */
export async function insertRows(db: SqlExecutor, rows: readonly RowToInsert[]): Promise<number> {
  const result = await db.query(
    `INSERT INTO example_rows (task_id, line, sku, quantity)
     SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::int[])
     ON CONFLICT (task_id, line) DO NOTHING`,
    [rows.map((r) => r.taskId), rows.map((r) => r.line), rows.map((r) => r.sku), rows.map((r) => r.quantity)],
  );
  return result.rowCount;
}

export const FIND_TASK_BY_ID = /* sql */ `SELECT * FROM tasks WHERE id = $1`;

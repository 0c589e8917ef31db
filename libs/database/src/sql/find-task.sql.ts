export const FIND_TASK_BY_ID = `SELECT * FROM tasks WHERE id = $1`;

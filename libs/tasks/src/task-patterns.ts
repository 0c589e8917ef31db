/**
 * A UUID in its text form, either case: a task's id. The API, the messages and the cursor all
 * check ids with this one pattern, so an id one of them accepts is never refused by another.
 */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A task type's name: 1–100 characters, a lowercase letter first, then lowercase letters,
 * digits, `.`, `_` or `-`. The registry refuses a handler with another name, and the API refuses
 * such a type in a body or a filter before it asks the registry or the database.
 */
export const TASK_TYPE_PATTERN = /^[a-z][a-z0-9_.-]{0,99}$/;

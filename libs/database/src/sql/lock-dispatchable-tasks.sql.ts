/**
 * Locks the tasks of the claimed dispatch rows that are still NEW, before their messages go
 * out. A worker that receives a message before the relay commits blocks on this row lock in
 * its claim, then sees PENDING once the relay commits. A task cancelled meanwhile is not
 * returned, and its message is not sent. Sorted to take locks in one order across relays.
 */
export const LOCK_DISPATCHABLE_TASKS = /* sql */ `
SELECT id FROM tasks
WHERE id = ANY($1::uuid[]) AND status = 'NEW'
ORDER BY id
FOR UPDATE`;

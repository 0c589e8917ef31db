/**
 * Takes key ($1, $2) for a request with hash $3. Returns a row when the key is new (or its
 * previous use is older than 24 hours): the caller goes on to create. Returns nothing when the
 * key is taken; a concurrent request holding it makes this INSERT wait until that transaction
 * ends, so only one of two simultaneous requests ever creates.
 */
export const TAKE_IDEMPOTENCY_KEY = /* sql */ `
INSERT INTO idempotency_keys (scope, key, request_hash)
VALUES ($1, $2, $3)
ON CONFLICT (scope, key) DO UPDATE
  SET request_hash = EXCLUDED.request_hash, task_ids = '{}', created_at = now()
  WHERE idempotency_keys.created_at < now() - interval '24 hours'
RETURNING key`;

export const RECORD_IDEMPOTENT_RESULT = /* sql */ `
UPDATE idempotency_keys SET task_ids = $3::uuid[] WHERE scope = $1 AND key = $2`;

export const FIND_IDEMPOTENCY_KEY = /* sql */ `
SELECT request_hash, task_ids FROM idempotency_keys WHERE scope = $1 AND key = $2`;

/** Forgets keys older than 24 hours, a batch at a time. */
export const DELETE_EXPIRED_IDEMPOTENCY_KEYS = /* sql */ `
DELETE FROM idempotency_keys
WHERE ctid IN (SELECT ctid FROM idempotency_keys WHERE created_at < now() - interval '24 hours' LIMIT $1)`;

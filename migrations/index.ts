import { Init1764086400000 } from './1764086400000-init.js';
import { IdempotencyKeys1764100000000 } from './1764100000000-idempotency-keys.js';
import { FailureHandling1764110000000 } from './1764110000000-failure-handling.js';
import { QuietOutboxNotify1764120000000 } from './1764120000000-quiet-outbox-notify.js';
import { LeaseTakeover1764230000000 } from './1764230000000-lease-takeover.js';

/** Every migration, oldest first. A new migration is a new timestamped file, listed here. */
export const MIGRATIONS = [Init1764086400000, IdempotencyKeys1764100000000, FailureHandling1764110000000, QuietOutboxNotify1764120000000, LeaseTakeover1764230000000];

import { Init1764086400000 } from './1764086400000-init.js';
import { IdempotencyKeys1764100000000 } from './1764100000000-idempotency-keys.js';
import { FailureHandling1764110000000 } from './1764110000000-failure-handling.js';
import { QuietOutboxNotify1764120000000 } from './1764120000000-quiet-outbox-notify.js';
import { RetryDelayHeader1764200000000 } from './1764200000000-retry-delay-header.js';
import { ReconcileLostMessages1764201000000 } from './1764201000000-reconcile-lost-messages.js';
import { StatusMachineGuard1764210000000 } from './1764210000000-status-machine-guard.js';
import { RetentionAndTaskCounts1764220000000 } from './1764220000000-retention-and-task-counts.js';
import { LeaseTakeover1764230000000 } from './1764230000000-lease-takeover.js';
import { IdempotencyScopePerApiKey1764240000000 } from './1764240000000-idempotency-scope-per-api-key.js';
import { HotLeaseRenewals1764250000000 } from './1764250000000-hot-lease-renewals.js';
import { BatchClaims1764300000000 } from './1764300000000-batch-claims.js';
import { TaskTypeListIndex1764320000000 } from './1764320000000-task-type-list-index.js';
import { SetBasedStatusWrites1764400000000 } from './1764400000000-set-based-status-writes.js';
import { TaskRoutingAndEvents1764450000000 } from './1764450000000-task-routing-and-events.js';
import { DeadLetterReasons1764460000000 } from './1764460000000-dead-letter-reasons.js';
import { OutboxNotifyOnlyWithRows1764500000000 } from './1764500000000-outbox-notify-only-with-rows.js';
import { FailedTypeListIndex1764530000000 } from './1764530000000-failed-type-list-index.js';
import { ClaimsPlanByIndex1764540000000 } from './1764540000000-claims-plan-by-index.js';

/** Every migration, oldest first. A new migration is a new timestamped file, listed here. */
export const MIGRATIONS = [
  Init1764086400000,
  IdempotencyKeys1764100000000,
  FailureHandling1764110000000,
  QuietOutboxNotify1764120000000,
  RetryDelayHeader1764200000000,
  ReconcileLostMessages1764201000000,
  StatusMachineGuard1764210000000,
  RetentionAndTaskCounts1764220000000,
  LeaseTakeover1764230000000,
  IdempotencyScopePerApiKey1764240000000,
  HotLeaseRenewals1764250000000,
  BatchClaims1764300000000,
  TaskTypeListIndex1764320000000,
  SetBasedStatusWrites1764400000000,
  TaskRoutingAndEvents1764450000000,
  DeadLetterReasons1764460000000,
  OutboxNotifyOnlyWithRows1764500000000,
  FailedTypeListIndex1764530000000,
  ClaimsPlanByIndex1764540000000,
];

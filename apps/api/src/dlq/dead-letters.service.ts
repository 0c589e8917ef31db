import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import {
  DatabaseService,
  type DeadLetter,
  type DeadLetterFilter,
  type DeadLetterGroup,
  type DeadLetterPage,
  DeadLetterRepository,
  type ReplayCandidate,
  TaskRepository,
} from '#database';
import { BrokerUnavailableError, DeadLetterQueue, dispatchMessage } from '#messaging';
import { TaskRegistry, TaskStatus } from '#tasks';
import { ApiError } from '../problems/api-error.js';
import type { ReplaySelection } from './dead-letter-input.js';

const logger = new Logger('DeadLetters');

/** Tasks requeued per transaction of a replay by filter: short locks, one round trip per batch. */
export const REPLAY_BATCH_SIZE = 500;
/** A replay only ever takes FAILED tasks back to NEW (a user's retry also takes CANCELLED ones). */
const REPLAYABLE = [TaskStatus.FAILED] as const;

export interface ReplayOutcome {
  taskIds: string[];
  skipped: { id: string; status: TaskStatus }[];
}

/**
 * The dead-letter calls of the API: what failed for good (FAILED tasks and their reasons, from
 * Postgres; the copies in `tasks.dlq` are records), its replay, and the purge of the copies.
 * A replay is a user's retry, in bulk: the same statement (TaskRepository.requeueMany), the
 * status machine's guard, a dispatch row in the outbox written with each status change.
 */
@Injectable()
export class DeadLettersService {
  constructor(
    private readonly database: DatabaseService,
    private readonly deadLetters: DeadLetterRepository,
    private readonly tasks: TaskRepository,
    private readonly queue: DeadLetterQueue,
    private readonly registry: TaskRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async summary(filter: DeadLetterFilter): Promise<{ groups: DeadLetterGroup[]; queueMessages: number | null }> {
    const [groups, queueMessages] = await Promise.all([this.deadLetters.summarize(this.database, filter), this.queue.depth()]);
    return { groups, queueMessages };
  }

  async list(filter: DeadLetterFilter, after: { failedAt: string; id: string } | null, limit: number): Promise<DeadLetterPage> {
    return this.deadLetters.list(this.database, filter, after, limit);
  }

  async get(id: string): Promise<DeadLetter> {
    const found = await this.deadLetters.find(this.database, id);
    if (found) return found;
    const task = await this.tasks.findById(this.database, id);
    if (!task) throw ApiError.notFound(`No task with id ${id}`);
    throw ApiError.notFound(`Task ${id} is ${task.status}, not in the DLQ (only FAILED tasks are)`);
  }

  async replay(selection: ReplaySelection): Promise<ReplayOutcome> {
    const outcome = selection.kind === 'ids' ? await this.replayIds(selection.ids) : await this.replayFilter(selection.filter);
    // An operator's action on many tasks: one line says what was done (each task's timeline says the rest).
    logger.log(`DLQ replay of ${describeSelection(selection)}: ${outcome.taskIds.length} replayed, ${outcome.skipped.length} skipped`);
    return outcome;
  }

  /**
   * Deletes the copies in `tasks.dlq`, then forgets the reasons of tasks that are no longer
   * FAILED. FAILED tasks stay listed (their reason is kept): purging the records does not
   * forget what still needs a replay. 503 when RabbitMQ cannot be asked; nothing is deleted.
   */
  async purge(): Promise<{ purged: number; reasonsForgotten: number }> {
    let purged: number;
    try {
      purged = await this.queue.purge();
    } catch (error) {
      if (error instanceof BrokerUnavailableError) {
        throw new ApiError('UNAVAILABLE', 'BROKER_UNAVAILABLE', `${error.message}; nothing was purged`, undefined, { 'retry-after': '5' });
      }
      throw error;
    }
    const reasonsForgotten = await this.deadLetters.purgeStaleReasons(this.database);
    logger.log(`DLQ purged: ${purged} copies deleted from tasks.dlq, ${reasonsForgotten} stale reasons forgotten`);
    return { purged, reasonsForgotten };
  }

  /**
   * All or nothing on existence: every id must name a task, or 404 and nothing is written. The
   * named tasks are locked in one transaction; the FAILED ones are requeued in it, the others
   * reported with their status.
   */
  private async replayIds(ids: string[]): Promise<ReplayOutcome> {
    return this.database.transaction(async (tx) => {
      const locked = await this.deadLetters.lockForReplay(tx, ids);
      const found = new Set(locked.map((c) => c.id));
      const missing = ids.filter((id) => !found.has(id));
      if (missing.length > 0) {
        const shown = missing.slice(0, 10).join(', ');
        throw ApiError.notFound(`No task with id ${shown}${missing.length > 10 ? ` and ${missing.length - 10} more` : ''}; nothing was replayed`);
      }
      const failed = locked.filter((c) => c.status === TaskStatus.FAILED);
      const requeued = await this.tasks.requeueMany(
        tx,
        failed.map((c) => this.requeueOf(c)),
        REPLAYABLE,
      );
      const done = new Set(requeued.map((t) => t.id));
      return {
        taskIds: ids.filter((id) => done.has(id)),
        skipped: locked.filter((c) => !done.has(c.id)).map((c) => ({ id: c.id, status: c.status })),
      };
    });
  }

  /**
   * Every FAILED task the filter matches that had failed when the replay began, in batches of
   * {@link REPLAY_BATCH_SIZE}, each its own transaction (locks held briefly; a replay of many
   * thousands does not hold them all). Tasks another transaction holds are skipped.
   */
  private async replayFilter(filter: DeadLetterFilter): Promise<ReplayOutcome> {
    const taskIds: string[] = [];
    let until: Date | null = null;
    for (;;) {
      const batch = await this.database.transaction(async (tx) => {
        const { candidates, asOf } = await this.deadLetters.claimForReplay(tx, filter, until, REPLAY_BATCH_SIZE);
        const requeued = await this.tasks.requeueMany(
          tx,
          candidates.map((c) => this.requeueOf(c)),
          REPLAYABLE,
        );
        return { claimed: candidates.length, ids: requeued.map((t) => t.id), asOf };
      });
      taskIds.push(...batch.ids);
      until ??= batch.asOf;
      if (batch.claimed < REPLAY_BATCH_SIZE) return { taskIds, skipped: [] };
    }
  }

  /** A replayed task is routed by its type as the registry has it now, as a user's retry is. */
  private requeueOf(candidate: ReplayCandidate) {
    const routing = this.registry.routingOf(candidate.type, this.config.taskEvents.everyType);
    const { id, type, priority, correlationId } = candidate;
    return { id, routing, dispatch: dispatchMessage({ taskId: id, type, priority, correlationId, queueGroup: routing.queueGroup }) };
  }
}

function describeSelection(selection: ReplaySelection): string {
  if (selection.kind === 'ids') return `${selection.ids.length} named task(s)`;
  const { types, reasons, since } = selection.filter;
  const parts = [types && `type ${types.join(',')}`, reasons && `reason ${reasons.join(',')}`, since && `since ${since.toISOString()}`].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : 'every FAILED task';
}

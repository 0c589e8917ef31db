import type {
  DeadLetterGroupView,
  DeadLetterPageView,
  DeadLetterSummaryView,
  DeadLetterView,
  PurgeResultView,
  ReplayDeadLettersDto,
  ReplayResultView,
} from './generated/api-types.js';
import { type CallOptions, commaList, queryString, type Transport } from './transport.js';

/** A task that failed for good, with the reason and the time (documents/api.md, "The dead-letter queue"). */
export type DeadLetter = DeadLetterView;
/** `GET /dlq`: the FAILED tasks counted by type and reason, and how many copies `tasks.dlq` holds. */
export type DeadLetterSummary = DeadLetterSummaryView;
export type DeadLetterGroup = DeadLetterGroupView;
export type DeadLetterPage = DeadLetterPageView;
/** What a replay did: the tasks back at NEW, and those it left alone because they were not FAILED. */
export type ReplayResult = ReplayResultView;
export type PurgeResult = PurgeResultView;

/**
 * Which FAILED tasks: each filter one value or a list (sent as a comma list). Reasons:
 * `max-attempts-exhausted`, `permanent-error`, `timeout`, `result-not-storable`, `worker-lost`,
 * `dispatch-failed`, `unknown`.
 */
export interface DeadLetterFilter {
  type?: string | readonly string[];
  reason?: string | readonly string[];
  /** Failed at or after: a Date, or an ISO 8601 time with a zone. */
  since?: Date | string;
}

export interface DeadLetterListFilter extends DeadLetterFilter {
  /** Page size, 1–100 (the service's default is 20). */
  limit?: number;
  /** Start after this cursor (a `nextCursor` of an earlier page). */
  cursor?: string;
}

type Without<Keys extends string> = { [K in Keys]?: never };

/** What `dlq.replay` replays: exactly one of these ids (1–1,000), every FAILED task, or those of a filter. */
export type ReplaySelection =
  | ({ ids: readonly string[] } & Without<'all' | 'type' | 'reason' | 'since'>)
  | ({ all: true } & Without<'ids' | 'type' | 'reason' | 'since'>)
  | (DeadLetterFilter & Without<'ids' | 'all'>);

/**
 * The dead-letter queue's calls, as `client.dlq`. Reads need any API key; `replay` and `purge`
 * need one that may write (a read-only key gets a {@link ForbiddenProblem}).
 */
export class DeadLetterQueueCalls {
  /** Made by {@link TaskServiceClient}, on its transport. */
  constructor(private readonly transport: Transport) {}

  /**
   * `GET /dlq`: the FAILED tasks matching `filter`, counted by type and reason (largest group
   * first), and how many copies `tasks.dlq` holds (null when RabbitMQ could not be asked).
   */
  async summary(filter: DeadLetterFilter = {}, options: CallOptions = {}): Promise<DeadLetterSummary> {
    return this.transport.call<DeadLetterSummary>('GET', `/dlq${deadLetterQuery(filter)}`, options);
  }

  /** One page of `GET /dlq/tasks`, the most recent failure first, with the cursor of the next (null on the last). */
  async listPage(filter: DeadLetterListFilter = {}, options: CallOptions = {}): Promise<DeadLetterPage> {
    return this.transport.call<DeadLetterPage>('GET', `/dlq/tasks${deadLetterQuery(filter)}`, options);
  }

  /**
   * Every task that failed for good matching `filter`, the most recent first, fetched a page at a
   * time (`limit` per page) as the loop asks for more:
   * `for await (const { task, reason } of client.dlq.list({ type: 'http.request' }))`.
   */
  async *list(filter: DeadLetterListFilter = {}, options: CallOptions = {}): AsyncGenerator<DeadLetter, void, undefined> {
    let cursor = filter.cursor;
    for (;;) {
      const page = await this.listPage({ ...filter, cursor }, options);
      yield* page.items;
      if (page.nextCursor === null) return;
      cursor = page.nextCursor;
    }
  }

  /** `GET /dlq/tasks/{id}`: the task with its reason; NotFoundProblem when there is no such task or it is not FAILED. */
  async get(id: string, options: CallOptions = {}): Promise<DeadLetter> {
    return this.transport.call<DeadLetter>('GET', `/dlq/tasks/${encodeURIComponent(id)}`, options);
  }

  /**
   * `POST /dlq/replay`: a retry of each selected FAILED task (back to NEW, attempts from 0, a new
   * dispatch through the outbox). With ids, every id must name a task (NotFoundProblem, and
   * nothing is replayed); tasks that are not FAILED come back in `skipped`.
   */
  async replay(selection: ReplaySelection, options: CallOptions = {}): Promise<ReplayResult> {
    return this.transport.call<ReplayResult>('POST', '/dlq/replay', options, replayBody(selection));
  }

  /** `DELETE /dlq/messages`: empties `tasks.dlq` (the copies); FAILED tasks stay listed and can still be replayed. */
  async purge(options: CallOptions = {}): Promise<PurgeResult> {
    return this.transport.call<PurgeResult>('DELETE', '/dlq/messages', options);
  }
}

/** The query string of `GET /dlq` and `GET /dlq/tasks`. */
export function deadLetterQuery(filter: DeadLetterListFilter): string {
  return queryString([
    ['type', commaList(filter.type)],
    ['reason', commaList(filter.reason)],
    ['since', isoTime(filter.since)],
    ['limit', filter.limit === undefined ? undefined : String(filter.limit)],
    ['cursor', filter.cursor],
  ]);
}

/** The body of `POST /dlq/replay`: lists as comma lists, a Date as its ISO time, nothing the selection does not give. */
export function replayBody(selection: ReplaySelection): ReplayDeadLettersDto {
  if (selection.ids !== undefined) return { ids: [...selection.ids] };
  if (selection.all !== undefined) return { all: selection.all };
  const body: ReplayDeadLettersDto = {};
  const type = commaList(selection.type);
  const reason = commaList(selection.reason);
  const since = isoTime(selection.since);
  if (type !== undefined) body.type = type;
  if (reason !== undefined) body.reason = reason;
  if (since !== undefined) body.since = since;
  return body;
}

function isoTime(value: Date | string | undefined): string | undefined {
  return value instanceof Date ? value.toISOString() : value;
}

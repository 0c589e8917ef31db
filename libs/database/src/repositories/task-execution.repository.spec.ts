import type { OutgoingMessage } from '#messaging';
import type { SqlExecutor, SqlResult } from '../sql-executor.js';
import { type Finish, TaskExecutionRepository } from './task-execution.repository.js';

/** Keeps what each statement was sent with; answers no rows. */
class RecordingExecutor implements SqlExecutor {
  readonly sent: { name?: string; params: unknown[] }[] = [];

  query<T>(_sql: string, params: unknown[] = []): Promise<SqlResult<T>> {
    this.sent.push({ params });
    return Promise.resolve({ rows: [], rowCount: 0 });
  }
}

/** The same, keeping named prepared statements. */
class PreparingExecutor extends RecordingExecutor {
  queryPrepared<T>(name: string, _sql: string, params: unknown[]): Promise<SqlResult<T>> {
    this.sent.push({ name, params });
    return Promise.resolve({ rows: [], rowCount: 0 });
  }
}

const ID_A = '00000000-0000-4000-8000-00000000000a';
const ID_B = '00000000-0000-4000-8000-00000000000b';
const claimOf = (taskId: string) => ({ taskId, attempt: 1, token: `host-1:42:${taskId}` });
const message = (body: string): OutgoingMessage =>
  ({ messageId: ID_B, exchange: 'tasks.retry', routingKey: 'tasks.low', headers: { 'x-delay': '5s' }, body }) as unknown as OutgoingMessage;

describe(TaskExecutionRepository.name, () => {
  const sut = new TaskExecutionRepository();

  describe('finishMany', () => {
    it('sends each column as one array literal, an all-NULL column as NULL', async () => {
      const executor = new RecordingExecutor();
      const finishes: Finish[] = [
        { action: 'complete', claim: claimOf(ID_A), resultJson: 'null' },
        { action: 'complete', claim: claimOf(ID_B), resultJson: '{"n":1}' },
      ];

      await sut.finishMany(executor, finishes);

      const [ids, tokens, actions, results, errors, delays, ...outbox] = executor.sent[0].params;
      expect(ids).toBe(`{${ID_A},${ID_B}}`);
      expect(tokens).toBe(`{host-1:42:${ID_A},host-1:42:${ID_B}}`);
      expect(actions).toBe('{complete,complete}');
      // The text 'null' is a value, not SQL NULL: quoted.
      expect(results).toBe('{"null","{\\"n\\":1}"}');
      expect([errors, delays, ...outbox]).toEqual([null, null, null, null, null, null, null]);
    });

    it('quotes and escapes what an array literal would misread, and leaves a missing value NULL', async () => {
      const executor = new RecordingExecutor();
      const error = 'a "quoted", {braced} \\ back-slashed error';
      const finishes: Finish[] = [
        { action: 'retry', claim: claimOf(ID_A), error, delaySeconds: 2.5, message: message('x') },
        { action: 'complete', claim: claimOf(ID_B), resultJson: '' },
      ];

      await sut.finishMany(executor, finishes);

      const [, , actions, results, errors, delays, messageIds] = executor.sent[0].params;
      expect(actions).toBe('{retry,complete}');
      expect(results).toBe('{NULL,""}');
      expect(errors).toBe('{"a \\"quoted\\", {braced} \\\\ back-slashed error",NULL}');
      expect(delays).toBe('{2.5,NULL}');
      expect(messageIds).toBe(`{${ID_B},NULL}`);
    });

    it('goes as a named prepared statement where the executor keeps them', async () => {
      const executor = new PreparingExecutor();

      await sut.finishMany(executor, [{ action: 'cancel', claim: claimOf(ID_A) }]);
      await sut.claimMany(executor, [claimOf(ID_A), claimOf(ID_B)], 30);

      expect(executor.sent.map((s) => s.name)).toEqual(['worker_finish_tasks', 'worker_claim_tasks']);
      expect(executor.sent[1].params.slice(0, 3)).toEqual([`{${ID_A},${ID_B}}`, '{1,1}', `{host-1:42:${ID_A},host-1:42:${ID_B}}`]);
    });
  });
});

import type pg from 'pg';
import { ClientExecutor } from './sql-executor.js';

/** A client stand-in that records what was sent and answers each statement when told. */
function fakeClient() {
  const sent: unknown[] = [];
  const answers: ((rows: unknown[]) => void)[] = [];
  const client = {
    query(config: unknown) {
      sent.push(config);
      return new Promise((resolve) => answers.push((rows) => resolve({ rows, rowCount: rows.length })));
    },
  };
  return { client: client as unknown as pg.PoolClient, sent, answers };
}

describe(ClientExecutor.name, () => {
  it('sends a statement behind a BEGIN at once, and answers only after the BEGIN did', async () => {
    const { client, sent, answers } = fakeClient();
    let beginAnswered!: () => void;
    const begun = new Promise<void>((resolve) => (beginAnswered = resolve));
    const sut = new ClientExecutor(client, begun);

    const result = sut.query('SELECT 1', []);
    answers[0]([{ one: 1 }]);
    let settled = false;
    void result.then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));

    expect(sent).toHaveLength(1);
    expect(settled).toBe(false);
    beginAnswered();
    await expect(result).resolves.toEqual({ rows: [{ one: 1 }], rowCount: 1 });
  });

  it("fails a statement with the BEGIN's error when the BEGIN failed", async () => {
    const { client, answers } = fakeClient();
    const begun = Promise.reject(new Error('connection lost'));
    begun.catch(() => undefined);
    const sut = new ClientExecutor(client, begun);

    const result = sut.query('SELECT 1', []);
    answers[0]([]);

    await expect(result).rejects.toThrow('connection lost');
  });

  it('runs a named statement as a prepared one where it names statements', async () => {
    const { client, sent, answers } = fakeClient();
    const sut = new ClientExecutor(client, undefined, true);

    const result = sut.queryPrepared('seven', 'SELECT $1', [7]);
    answers[0]([]);
    await result;

    expect(sent).toEqual([{ name: 'seven', text: 'SELECT $1', values: [7] }]);
  });

  it('runs it unnamed where it does not (through a transaction-mode pooler)', async () => {
    const { client, sent, answers } = fakeClient();
    const sut = new ClientExecutor(client, undefined, false);

    const result = sut.queryPrepared('seven', 'SELECT $1', [7]);
    answers[0]([]);
    await result;

    expect(sent).toEqual(['SELECT $1']);
  });
});

import { loadConfig } from '#config';
import { outboxListenPlan } from './outbox-notifications.js';

describe(outboxListenPlan.name, () => {
  it('LISTENs on the main connection when no pooler is declared', () => {
    const plan = outboxListenPlan(loadConfig({ POSTGRES_HOST: 'db', POSTGRES_DB: 'tasks' }));
    expect(plan).toMatchObject({ listen: true, via: 'the main connection', options: { host: 'db', database: 'tasks' } });
  });

  it('LISTENs on OUTBOX_LISTEN_DATABASE_URL when it is set, pooler or not', () => {
    const direct = 'postgres://relay:pw@db-direct:5432/tasks';
    const pooled = 'postgres://app:pw@pgbouncer:6432/tasks';
    for (const pooler of ['none', 'transaction']) {
      const plan = outboxListenPlan(loadConfig({ DATABASE_URL: pooled, POSTGRES_POOLER: pooler, OUTBOX_LISTEN_DATABASE_URL: direct }));
      expect(plan).toEqual({ listen: true, via: 'OUTBOX_LISTEN_DATABASE_URL', options: { connectionString: direct } });
    }
  });

  it('does not LISTEN through a transaction pooler, and says the relay polls and how often', () => {
    const plan = outboxListenPlan(loadConfig({ POSTGRES_POOLER: 'transaction', OUTBOX_POLL_INTERVAL: '250' }));
    expect(plan.listen).toBe(false);
    expect(!plan.listen && plan.reason).toMatch(/POSTGRES_POOLER=transaction.*OUTBOX_LISTEN_DATABASE_URL.*polls the outbox every 250 ms/);
  });
});

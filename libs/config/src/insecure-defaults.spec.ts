import { insecureDefaults, productionWarning } from './insecure-defaults.js';
import { loadConfig } from './load-config.js';

const STRONG = {
  POSTGRES_PASSWORD: 'x7-unguessable-postgres',
  RABBITMQ_URL: 'amqp://tasks:x7-unguessable-rabbit@mq:5672/tasks',
  API_KEYS: 'a-long-enough-api-key-0123456789',
};

describe(insecureDefaults.name, () => {
  it('finds nothing with strong passwords and API keys', () => {
    expect(insecureDefaults(loadConfig(STRONG), { servesApi: true })).toEqual([]);
  });

  it.each(['postgres'])('names POSTGRES_PASSWORD=%s', (password) => {
    const sut = insecureDefaults(loadConfig({ ...STRONG, POSTGRES_PASSWORD: password }), { servesApi: false });

    expect(sut).toEqual([expect.stringContaining('POSTGRES_PASSWORD')]);
  });

  it('reads the Postgres password from DATABASE_URL when it is set', () => {
    const sut = insecureDefaults(loadConfig({ ...STRONG, DATABASE_URL: 'postgres://app:postgres@db/tasks' }), { servesApi: false });

    expect(sut).toEqual([expect.stringContaining('DATABASE_URL')]);
    expect(
      insecureDefaults(loadConfig({ ...STRONG, POSTGRES_PASSWORD: 'postgres', DATABASE_URL: 'postgres://app:strong-one@db/tasks' }), { servesApi: false }),
    ).toEqual([]);
  });

  it('reads the password of OUTBOX_LISTEN_DATABASE_URL when it is set', () => {
    const weak = loadConfig({ ...STRONG, OUTBOX_LISTEN_DATABASE_URL: 'postgres://postgres:postgres@db-direct/tasks' });
    const strong = loadConfig({ ...STRONG, OUTBOX_LISTEN_DATABASE_URL: 'postgres://relay:x7-unguessable@db-direct/tasks' });

    expect(insecureDefaults(weak, { servesApi: false })).toEqual([expect.stringContaining('OUTBOX_LISTEN_DATABASE_URL')]);
    expect(insecureDefaults(strong, { servesApi: false })).toEqual([]);
  });

  it.each(['amqp://guest:guest@127.0.0.1:5672', 'amqp://tasks:change-me-rabbitmq@rabbitmq:5672/tasks', 'amqp://rabbitmq:5672'])(
    'names the RabbitMQ password of %s (a URL without a user logs in as guest)',
    (url) => {
      const sut = insecureDefaults(loadConfig({ ...STRONG, RABBITMQ_URL: url }), { servesApi: false });

      expect(sut).toEqual([expect.stringContaining('RABBITMQ_URL')]);
    },
  );

  it('names an empty API_KEYS for the API only', () => {
    const config = loadConfig({ ...STRONG, API_KEYS: '' });

    expect(insecureDefaults(config, { servesApi: true })).toEqual([expect.stringContaining('API_KEYS')]);
    expect(insecureDefaults(config, { servesApi: false })).toEqual([]);
  });

  it('never prints a password', () => {
    const sut = insecureDefaults(loadConfig({ POSTGRES_PASSWORD: 'postgres', RABBITMQ_URL: 'amqp://u:change-me-rabbitmq@h' }), { servesApi: true });

    expect(sut.join(' ')).not.toMatch(/change-me|:postgres|postgres@/);
  });
});

describe(productionWarning.name, () => {
  it('is one line naming every finding when NODE_ENV=production', () => {
    const sut = productionWarning(loadConfig({ NODE_ENV: 'production' }), { servesApi: true });

    expect(sut).toMatch(/^NODE_ENV=production with insecure defaults: /);
    expect(sut).toContain('POSTGRES_PASSWORD');
    expect(sut).toContain('RABBITMQ_URL');
    expect(sut).toContain('API_KEYS');
    expect(sut).not.toContain('\n');
  });

  it('is silent outside production, and in production with nothing to say', () => {
    expect(productionWarning(loadConfig({}), { servesApi: true })).toBeNull();
    expect(productionWarning(loadConfig({ ...STRONG, NODE_ENV: 'production' }), { servesApi: true })).toBeNull();
  });
});

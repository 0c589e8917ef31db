import type { PostgresConfig } from './config.types.js';
import { postgresAddress, postgresConnectionOptions, postgresDatabaseName } from './postgres-connection.js';

const parts: PostgresConfig = { host: 'db.internal', port: 6543, database: 'tasks', user: 'app', password: 's3cret', pooler: 'none' };
const withUrl: PostgresConfig = { ...parts, url: 'postgresql://app:s3cret@db.example:6000/tasks_prod?sslmode=require' };

describe(postgresConnectionOptions.name, () => {
  it('connects with the POSTGRES_* parts when DATABASE_URL is not set', () => {
    expect(postgresConnectionOptions(parts)).toEqual({ host: 'db.internal', port: 6543, user: 'app', password: 's3cret', database: 'tasks' });
  });

  it('connects to another database of the same server with the parts', () => {
    expect(postgresConnectionOptions(parts, 'postgres')).toEqual({ host: 'db.internal', port: 6543, user: 'app', password: 's3cret', database: 'postgres' });
  });

  it('connects with DATABASE_URL alone when it is set, so no part can contradict it', () => {
    expect(postgresConnectionOptions(withUrl)).toEqual({ connectionString: withUrl.url });
  });

  it('puts another database into the URL, where pg reads it (a separate `database` would lose to the URL)', () => {
    const sut = postgresConnectionOptions(withUrl, 'postgres');

    expect(sut).toEqual({ connectionString: 'postgresql://app:s3cret@db.example:6000/postgres?sslmode=require' });
  });
});

describe(postgresDatabaseName.name, () => {
  it.each([
    ['POSTGRES_DB without DATABASE_URL', parts, 'tasks'],
    ["DATABASE_URL's path", withUrl, 'tasks_prod'],
    ['postgres for a DATABASE_URL without a path', { ...parts, url: 'postgres://app@db.example' }, 'postgres'],
    ['the decoded path', { ...parts, url: 'postgres://app@db.example/t%C3%A2ches' }, 'tâches'],
  ])('is %s', (_name, postgres, expected) => {
    expect(postgresDatabaseName(postgres)).toBe(expected);
  });

  it('reads back the database put into the URL', () => {
    const sut = postgresConnectionOptions(withUrl, 'tâches');

    expect(postgresDatabaseName({ ...parts, url: sut.connectionString })).toBe('tâches');
  });
});

describe(postgresAddress.name, () => {
  it.each([
    ['POSTGRES_HOST and POSTGRES_PORT', parts, { host: 'db.internal', port: 6543 }],
    ["DATABASE_URL's host and port", withUrl, { host: 'db.example', port: 6000 }],
    ['port 5432 when DATABASE_URL names none', { ...parts, url: 'postgres://app@db.example/tasks' }, { host: 'db.example', port: 5432 }],
  ])('is %s', (_name, postgres, expected) => {
    expect(postgresAddress(postgres)).toEqual(expected);
  });
});

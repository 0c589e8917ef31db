import { censorFields, REDACTED, scrubSecrets } from './redaction.js';

describe(scrubSecrets.name, () => {
  it.each([
    ['postgres://app:s3cret@db.internal:5432/tasks', `postgres://app:${REDACTED}@db.internal:5432/tasks`],
    ['cannot reach amqp://tasks:pa%2Css@rabbit:5672/vh; retrying', `cannot reach amqp://tasks:${REDACTED}@rabbit:5672/vh; retrying`],
    ['amqps://u:p1@h1:5671/vh,amqp://u:p2@h2:5672/vh', `amqps://u:${REDACTED}@h1:5671/vh,amqp://u:${REDACTED}@h2:5672/vh`],
    ['http://user:pw@example.com/x', `http://user:${REDACTED}@example.com/x`],
    ['postgresql://:only-password@db/tasks', `postgresql://:${REDACTED}@db/tasks`],
  ])('removes the password of a URL: %s', (text, expected) => {
    expect(scrubSecrets(text)).toBe(expected);
  });

  it.each([
    ['postgres://app@db.internal/tasks', 'a URL with a user and no password'],
    ['amqp://127.0.0.1:5672/vh', 'a URL with no user'],
    ['connected to RabbitMQ at 127.0.0.1:5672/tasks', 'an address'],
    ['user@example.com wrote', 'an e-mail address'],
  ])('leaves %s alone (%s)', (text) => {
    expect(scrubSecrets(text)).toBe(text);
  });

  it('removes the credentials of an Authorization value, Bearer or Basic', () => {
    expect(scrubSecrets('sent Authorization: Bearer abcdefghijklmnop0123')).toBe(`sent Authorization: Bearer ${REDACTED}`);
    expect(scrubSecrets('header authorization=Basic dXNlcjpwYXNzd29yZA==')).toBe(`header authorization=Basic ${REDACTED}`);
  });

  it('removes password= in a connection string and token= in a query string', () => {
    expect(scrubSecrets('host=db user=app password=s3cret dbname=tasks')).toBe(`host=db user=app password=${REDACTED} dbname=tasks`);
    expect(scrubSecrets('GET /hook?token=abc123&x=1 answered 500')).toBe(`GET /hook?token=${REDACTED}&x=1 answered 500`);
  });

  it('removes each given secret wherever it appears', () => {
    const key = 'k'.repeat(8) + 'SECRET-API-KEY-1';

    expect(scrubSecrets(`key ${key} and again:${key}.`, [key])).toBe(`key ${REDACTED} and again:${REDACTED}.`);
  });

  it('ignores an empty secret', () => {
    expect(scrubSecrets('nothing to hide', [''])).toBe('nothing to hide');
  });
});

describe(censorFields.name, () => {
  it('censors credential-named keys in any letter case, objects down', () => {
    const sut = censorFields({ request: { headers: { AUTHORIZATION: 'Bearer x', 'X-Api-Key': 'k', accept: 'json' } }, Password: 'p', user: 'alice' });

    expect(sut).toEqual({ request: { headers: { AUTHORIZATION: REDACTED, 'X-Api-Key': REDACTED, accept: 'json' } }, Password: REDACTED, user: 'alice' });
  });

  it("censors an http.request payload's headers whole, and scrubs its URL", () => {
    const sut = censorFields({ url: 'http://u:pw@example.com/x', method: 'POST', headers: { 'X-Custom': 'anything' } });

    expect(sut).toEqual({ url: `http://u:${REDACTED}@example.com/x`, method: 'POST', headers: REDACTED });
  });

  it('leaves arrays, numbers and the object it was given alone', () => {
    const given = { ids: ['a', 'b'], count: 2, nested: { token: 't' } };

    expect(censorFields(given)).toEqual({ ids: ['a', 'b'], count: 2, nested: { token: REDACTED } });
    expect(given.nested.token).toBe('t');
  });
});

import { brokerAddress, parseBrokerUrls } from './rabbitmq-urls.js';

describe(brokerAddress.name, () => {
  it.each([
    ['amqp://user:secret@mq1.internal:5681/tasks', 'mq1.internal:5681/tasks'],
    ['amqps://user:secret@mq1.internal/tasks', 'mq1.internal:5671/tasks'],
    ['amqp://127.0.0.1', '127.0.0.1:5672'],
    ['amqp://u:p@h/%2F', 'h:5672'],
    ['amqp://u:p@h/%2Fstaging', 'h:5672//staging'],
  ])('names %s as %s, without its credentials', (url, expected) => {
    const sut = brokerAddress(url);

    expect(sut).toBe(expected);
    expect(sut).not.toContain('secret');
  });
});

describe(parseBrokerUrls.name, () => {
  it('keeps one URL as a list of one', () => {
    expect(parseBrokerUrls('amqp://guest:guest@127.0.0.1:5672')).toEqual({ urls: ['amqp://guest:guest@127.0.0.1:5672'] });
  });

  it('accepts a percent-encoded comma in a password', () => {
    expect(parseBrokerUrls('amqp://app:a%2Cb@h1/vh,amqp://app:a%2Cb@h2/vh').urls).toEqual(['amqp://app:a%2Cb@h1/vh', 'amqp://app:a%2Cb@h2/vh']);
  });

  it('treats no vhost and the default vhost alike', () => {
    expect(parseBrokerUrls('amqp://h1,amqp://h2/%2F').urls).toHaveLength(2);
  });
});

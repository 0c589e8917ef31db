import { requestPath } from './request-path.js';

describe(requestPath.name, () => {
  it.each([
    ['/api/v1/tasks', '/api/v1/tasks'],
    ['/api/v1/tasks?limit=1', '/api/v1/tasks'],
    ['http://any/api/v1/tasks', '/api/v1/tasks'],
    ['HTTPS://any:443/api/v1/tasks?x=/health', '/api/v1/tasks'],
    ['http://any', '/'],
    ['http://any?x=1', '/'],
    ['ftp://any/api/v1/tasks', 'ftp://any/api/v1/tasks'],
    ['*', '*'],
  ])('reads %j as %j', (url, expected) => {
    expect(requestPath(url)).toBe(expected);
  });
});

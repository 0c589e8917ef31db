import { RouteTable } from './route-table.js';

describe(RouteTable.name, () => {
  let sut: RouteTable;

  beforeEach(() => {
    sut = new RouteTable();
    sut.add('GET', '/api/v1/tasks');
    sut.add('POST', '/api/v1/tasks');
    sut.add(['GET', 'HEAD'], '/api/v1/tasks/:id');
    sut.add('DELETE', '/api/v1/tasks/:id');
    sut.add('OPTIONS', '*');
  });

  it('lists the methods served on a concrete path', () => {
    expect(sut.methodsFor('/api/v1/tasks/0b7e4c1a-6b1e-4a53-9a41-4f6f5d0e8c11')).toEqual(['GET', 'DELETE']);
    expect(sut.methodsFor('/api/v1/tasks')).toEqual(['GET', 'POST']);
  });

  it('accepts a trailing slash', () => {
    expect(sut.methodsFor('/api/v1/tasks/')).toEqual(['GET', 'POST']);
  });

  it('says nothing of a path no route serves, even with a catch-all OPTIONS route', () => {
    expect(sut.methodsFor('/api/v1/nothing')).toEqual([]);
  });

  it('does not let a parameter match across a slash', () => {
    expect(sut.methodsFor('/api/v1/tasks/a/b')).toEqual([]);
  });

  it('lists every route as added', () => {
    expect(sut.list()).toContainEqual({ method: 'HEAD', url: '/api/v1/tasks/:id' });
    expect(sut.list()).toHaveLength(6);
  });
});

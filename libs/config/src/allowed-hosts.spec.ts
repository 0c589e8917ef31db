import { parseAllowedHost, parseAllowedHosts } from './allowed-hosts.js';

describe(parseAllowedHost.name, () => {
  it.each([
    ['api.example.com', { kind: 'name', name: 'api.example.com' }],
    ['API.Example.COM:8443', { kind: 'name', name: 'api.example.com', port: 8443 }],
    ['localhost:3000', { kind: 'name', name: 'localhost', port: 3000 }],
    ['svc_internal', { kind: 'name', name: 'svc_internal' }],
    ['*.example.com', { kind: 'subdomains', suffix: 'example.com' }],
    ['*.Example.com:443', { kind: 'subdomains', suffix: 'example.com', port: 443 }],
    ['127.0.0.1:8080', { kind: 'ip', ip: '127.0.0.1', port: 8080 }],
    ['169.254.169.254', { kind: 'ip', ip: '169.254.169.254' }],
    ['[::1]:8080', { kind: 'ip', ip: '::1', port: 8080 }],
    ['[FD00:0:0::1]', { kind: 'ip', ip: 'fd00::1' }],
    ['example.com:65535', { kind: 'name', name: 'example.com', port: 65535 }],
    ['example.com:1', { kind: 'name', name: 'example.com', port: 1 }],
  ])('reads %s as %j', (entry, expected) => {
    expect(parseAllowedHost(entry)).toEqual(expected);
  });

  it.each([
    ['::1', 'more than one colon'],
    ['::1:8080', 'more than one colon'],
    ['http://example.com', 'without a scheme'],
    ['[::1', 'more than one colon'],
    ['[not-ip]:80', 'not an IPv6 address'],
    ['[fe80::1%eth0]', 'not an IPv6 address'],
    ['[127.0.0.1]', 'not an IPv6 address'],
    ['example.com:0', 'port'],
    ['example.com:65536', 'port'],
    ['example.com:', 'port'],
    ['example.com:http', 'port'],
    ['example.com:+80', 'port'],
    ['127.1', 'four decimal parts'],
    ['0x7f.0.0.1', 'four decimal parts'],
    ['010.0.0.1', 'four decimal parts'],
    ['2130706433', 'four decimal parts'],
    ['1.2.3.999', 'not a DNS name'],
    ['*', 'not a DNS name'],
    ['*.', 'wildcard'],
    ['*.*.example.com', 'wildcard'],
    ['a.*.example.com', 'not a DNS name'],
    ['example.com/path', 'without a scheme, path'],
    ['user@example.com', 'without a scheme, path, user'],
    ['-bad.example.com', 'not a DNS name'],
    ['example..com', 'not a DNS name'],
    ['example.com.', 'not a DNS name'],
    ['exämple.com', 'not a DNS name'],
    ['a'.repeat(64) + '.com', 'not a DNS name'],
  ])('refuses %s (%s)', (entry, reason) => {
    expect(parseAllowedHost(entry)).toEqual(expect.stringContaining(reason));
  });
});

describe(parseAllowedHosts.name, () => {
  it('reads an empty value as no entries', () => {
    expect(parseAllowedHosts('')).toEqual({ hosts: [], bad: [] });
  });

  it('trims each entry and keeps their order', () => {
    expect(parseAllowedHosts(' b.example.com , 10.0.0.5:80 ').hosts).toEqual([
      { kind: 'name', name: 'b.example.com' },
      { kind: 'ip', ip: '10.0.0.5', port: 80 },
    ]);
  });

  it('names every bad entry, and an empty one', () => {
    expect(parseAllowedHosts('ok.example.com,,127.1,example.com:0').bad).toEqual([
      'an empty entry (two commas in a row, or one at an end)',
      "'127.1' is an IPv4 address not written as four decimal parts",
      "'example.com:0' has a port that is not a whole number from 1 to 65535",
    ]);
  });
});

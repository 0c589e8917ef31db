import type { AllowedHost } from '#config';
import { canonicalIp, describeUrl, findAllowedHost, isSecretHeader, nonPublicRange, refusalOfAddress, scrubSecrets } from './host-policy.js';

const entries: AllowedHost[] = [
  { kind: 'name', name: 'api.example.com' },
  { kind: 'name', name: 'hooks.example.com', port: 8443 },
  { kind: 'subdomains', suffix: 'svc.example.org' },
  { kind: 'ip', ip: '127.0.0.1', port: 8080 },
  { kind: 'ip', ip: '10.0.0.5' },
  { kind: 'ip', ip: '::1', port: 9000 },
];

describe(findAllowedHost.name, () => {
  it.each([
    ['api.example.com', 443, entries[0]],
    ['API.Example.com', 80, entries[0]],
    ['api.example.com.', 80, entries[0]],
    ['hooks.example.com', 8443, entries[1]],
    ['a.svc.example.org', 80, entries[2]],
    ['a.b.svc.example.org', 1234, entries[2]],
    ['127.0.0.1', 8080, entries[3]],
    ['10.0.0.5', 22, entries[4]],
    ['::1', 9000, entries[5]],
    ['[::1]', 9000, entries[5]],
    ['0:0:0:0:0:0:0:1', 9000, entries[5]],
  ])('lets %s:%i through by %j', (host, port, expected) => {
    expect(findAllowedHost(entries, host, port)).toBe(expected);
  });

  it.each([
    ['example.com', 443, 'the parent of a listed name'],
    ['evil-api.example.com', 443, 'a name that only ends like a listed one'],
    ['api.example.com.evil.net', 443, 'a name that starts like a listed one'],
    ['hooks.example.com', 443, 'a listed name on another port'],
    ['svc.example.org', 80, 'the apex of a *. entry'],
    ['xsvc.example.org', 80, 'a name that ends in the suffix without a dot'],
    ['127.0.0.1', 8081, 'a listed IP on another port'],
    ['127.0.0.2', 8080, 'another loopback address'],
    ['localhost', 8080, 'a name for a listed IP'],
    ['::1', 8080, 'a listed IPv6 on another port'],
    ['169.254.169.254', 80, 'the cloud metadata address'],
  ])('refuses %s:%i, %s', (host, port) => {
    expect(findAllowedHost(entries, host, port)).toBeUndefined();
  });

  it('refuses everything with an empty list', () => {
    expect(findAllowedHost([], 'api.example.com', 443)).toBeUndefined();
    expect(findAllowedHost([], '127.0.0.1', 8080)).toBeUndefined();
  });

  it('does not let an IP literal through by a name entry that reads the same', () => {
    expect(findAllowedHost([{ kind: 'subdomains', suffix: '0.1' }], '127.0.0.1', 80)).toBeUndefined();
  });
});

describe(nonPublicRange.name, () => {
  it.each(['93.184.215.14', '8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '2001:4860:4860::8888', '::ffff:8.8.8.8'])('calls %s public', (address) => {
    expect(nonPublicRange(address)).toBeNull();
  });

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fd00::1', 'unique-local'],
    ['fc00::1', 'unique-local'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['192.0.2.1', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::127.0.0.1', 'loopback'],
    ['::7f00:1', 'IPv4-compatible'],
    ['::a00:1', 'IPv4-compatible'],
    ['64:ff9b::a00:1', 'rfc6052'],
    ['2002:7f00:1::', '6to4'],
    ['not-an-ip', 'not an IP address'],
  ])('calls %s %s', (address, range) => {
    expect(nonPublicRange(address)).toEqual(expect.stringContaining(range));
  });
});

describe(refusalOfAddress.name, () => {
  it('lets a public address through without any entry', () => {
    expect(refusalOfAddress([], '93.184.215.14', 443)).toBeNull();
  });

  it('refuses a loopback address that no IP entry names, saying what would allow it', () => {
    expect(refusalOfAddress(entries, '127.0.0.1', 9999)).toBe(
      '127.0.0.1 is a loopback address; only an HTTP_TASK_ALLOWED_HOSTS entry that is this IP literal may reach it',
    );
  });

  it('lets a non-public address through when an IP entry names it for that port', () => {
    expect(refusalOfAddress(entries, '127.0.0.1', 8080)).toBeNull();
    expect(refusalOfAddress(entries, '10.0.0.5', 5432)).toBeNull();
    expect(refusalOfAddress(entries, '::1', 9000)).toBeNull();
  });

  it('refuses the cloud metadata address', () => {
    expect(refusalOfAddress(entries, '169.254.169.254', 80)).toEqual(expect.stringContaining('link-local'));
  });
});

describe(canonicalIp.name, () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['[::1]', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['FD00::1', 'fd00::1'],
    ['example.com', null],
    ['127.1', null],
  ])('reads %s as %j', (host, expected) => {
    expect(canonicalIp(host)).toBe(expected);
  });
});

describe(isSecretHeader.name, () => {
  it.each([
    'Authorization',
    'proxy-authorization',
    'Cookie',
    'set-cookie',
    'X-API-Key',
    'x-auth-token',
    'X-Secret',
    'x-client-password',
    'api-key',
    'x-session-id',
  ])('calls %s secret', (name) => {
    expect(isSecretHeader(name)).toBe(true);
  });

  it.each(['content-type', 'accept', 'x-request-id', 'user-agent'])('calls %s not secret', (name) => {
    expect(isSecretHeader(name)).toBe(false);
  });
});

describe(describeUrl.name, () => {
  it('shows scheme, host, port and path, never the user, password, query or fragment', () => {
    expect(describeUrl(new URL('https://alice:s3cr3t@api.example.com:8443/v1/hook?token=abc#frag'))).toBe('https://api.example.com:8443/v1/hook?…');
  });
});

describe(scrubSecrets.name, () => {
  it('replaces each secret, plain or URL-encoded, with ***', () => {
    expect(scrubSecrets('connect to alice:p@ss w0rd and p%40ss%20w0rd', ['p@ss w0rd'])).toBe('connect to alice:*** and ***');
  });

  it('replaces a longer secret whole before a shorter one inside it', () => {
    expect(scrubSecrets('Bearer abc123', ['Bearer abc123', 'abc123'])).toBe('***');
  });
});

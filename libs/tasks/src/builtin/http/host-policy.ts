import ipaddr from 'ipaddr.js';
import type { AllowedHost } from '#config';

/** The names ipaddr.js gives the ranges, as a reader says them. */
const RANGE_NAMES: Record<string, string> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local (cloud metadata lives here)',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade NAT',
  private: 'private',
  reserved: 'reserved',
  uniqueLocal: 'unique-local',
  ipv4Compatible: 'IPv4-compatible',
};

/** `::/96`, IPv4-compatible IPv6 (deprecated by RFC 4291): ipaddr.js calls it unicast, but it is no public host. */
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

/**
 * Whether a connection may go to `address`: only ipaddr.js's `unicast` range (a public address)
 * is. An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) is judged as the IPv4 address it carries.
 * Returns null for a public address, or the name of the range that refuses it.
 */
export function nonPublicRange(address: string): string | null {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  const ip = ipaddr.process(address);
  const range = ip.range();
  if (range !== 'unicast') return RANGE_NAMES[range] ?? range;
  if (ip.kind() === 'ipv6' && ip.match(IPV4_COMPATIBLE)) return RANGE_NAMES.ipv4Compatible;
  return null;
}

/** The canonical text of an IP literal (ipaddr.js's form, as the config holds it), or null for a name. */
export function canonicalIp(host: string): string | null {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (!ipaddr.IPv6.isValid(bare) && !ipaddr.IPv4.isValidFourPartDecimal(bare)) return null;
  return ipaddr.parse(bare).toString();
}

/** A URL's host without brackets, lower case and without a trailing dot: what a lookup is asked for. */
export function bareHost(url: URL): string {
  const host = url.hostname.toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) return host.slice(1, -1);
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

/** The port a URL connects to: its own, or its scheme's default. */
export function portOf(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

/**
 * The first entry that lets a call to `host:port` go ahead, or undefined. An IP literal matches
 * only an `ip` entry of the same address; a name matches a `name` entry exactly or a
 * `subdomains` entry by suffix. An entry without a port matches every port.
 */
export function findAllowedHost(entries: readonly AllowedHost[], host: string, port: number): AllowedHost | undefined {
  const ip = canonicalIp(host);
  const name = host.toLowerCase().replace(/\.$/, '');
  return entries.find((entry) => {
    if (entry.port !== undefined && entry.port !== port) return false;
    switch (entry.kind) {
      case 'ip':
        return ip !== null && entry.ip === ip;
      case 'name':
        return ip === null && entry.name === name;
      case 'subdomains':
        return ip === null && name.endsWith(`.${entry.suffix}`);
    }
  });
}

/**
 * Why a connection to `address` (an answer of DNS, or the host itself when it is an IP literal)
 * for a call to port `port` is refused, or null when it may go ahead. A public address may; a
 * non-public one only when the list names that very address as an IP literal for that port: an
 * operator who lists `127.0.0.1:8080` means it, but a name that resolves there does not say so.
 */
export function refusalOfAddress(entries: readonly AllowedHost[], address: string, port: number): string | null {
  const range = nonPublicRange(address);
  if (range === null) return null;
  const ip = canonicalIp(address);
  const listed = entries.some((entry) => entry.kind === 'ip' && entry.ip === ip && (entry.port === undefined || entry.port === port));
  if (listed) return null;
  return `${address} is a ${range} address; only an HTTP_TASK_ALLOWED_HOSTS entry that is this IP literal may reach it`;
}

/**
 * Header names whose values never appear in an error, a log line or a result: credentials,
 * cookies, and any name that says token, secret, password, key, auth or session.
 */
export function isSecretHeader(name: string): boolean {
  return /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key)$/i.test(name) || /token|secret|passw|key|auth|session|credential/i.test(name);
}

/**
 * A URL as errors show it: scheme, host, port and path; never the user, password, query or
 * fragment (a query often carries a token).
 */
export function describeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}${url.search ? '?…' : ''}`;
}

/** Replaces every occurrence of each secret (and its URL-encoded form) in `text` with `***`. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < 3) continue;
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
    try {
      forms.add(decodeURIComponent(secret));
    } catch {
      // not percent-encoded
    }
  }
  let out = text;
  // Longest first, so a secret that contains another is replaced whole.
  for (const form of [...forms].sort((a, b) => b.length - a.length)) out = out.split(form).join('***');
  return out;
}

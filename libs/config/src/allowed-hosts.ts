import ipaddr from 'ipaddr.js';

/**
 * One entry of `HTTP_TASK_ALLOWED_HOSTS`: a host the `http.request` task type may call, with an
 * optional port (none: any port).
 * - `name`: an exact DNS name, lower case, no trailing dot.
 * - `subdomains`: `*.example.com`, any name that ends in `.example.com` (not `example.com` itself).
 * - `ip`: an IP literal in ipaddr.js's canonical form (`10.0.0.5`, `fd00::1`). Only such an entry
 *   lets a call reach a loopback, private, link-local or other non-public address.
 */
export type AllowedHost =
  { kind: 'name'; name: string; port?: number } | { kind: 'subdomains'; suffix: string; port?: number } | { kind: 'ip'; ip: string; port?: number };

/** What `HTTP_TASK_ALLOWED_HOSTS` accepts, for error messages. */
export const ALLOWED_HOSTS_FORMAT =
  'a comma list of host or host:port entries: exact names (api.example.com), *.example.com for its subdomains, ' +
  'IPv4 literals (10.0.0.5:8080) or IPv6 literals in brackets ([fd00::1]:8080); ports 1 to 65535, none means any port';

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/** Parses one trimmed entry; returns a reason string when it is not one. */
export function parseAllowedHost(entry: string): AllowedHost | string {
  if (/[/@\s]/.test(entry)) return 'is not a host: write the host and port alone, without a scheme, path, user or spaces';
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(entry);
  if (bracketed) {
    [, host, portText] = bracketed;
    if (host.includes('%') || !ipaddr.IPv6.isValid(host)) return 'is not an IPv6 address in brackets';
  } else {
    const parts = entry.split(':');
    if (parts.length > 2) return 'has more than one colon (write an IPv6 literal in brackets: [fd00::1]:8080)';
    [host, portText] = parts;
  }
  let port: number | undefined;
  if (portText !== undefined) {
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
    if (!(port >= 1 && port <= 65535)) return 'has a port that is not a whole number from 1 to 65535';
  }
  const withPort = <T extends AllowedHost>(value: T): T => (port === undefined ? value : { ...value, port });
  if (bracketed) return withPort({ kind: 'ip', ip: ipaddr.IPv6.parse(host).toString() });
  if (ipaddr.IPv4.isValid(host)) {
    // `127.1`, `0x7f.0.0.1` and `017.0.0.1` are IPv4 too: refuse the forms a reader would misjudge.
    if (!ipaddr.IPv4.isValidFourPartDecimal(host)) return 'is an IPv4 address not written as four decimal parts';
    return withPort({ kind: 'ip', ip: ipaddr.IPv4.parse(host).toString() });
  }
  const lower = host.toLowerCase();
  if (lower.startsWith('*.')) {
    const suffix = lower.slice(2);
    if (!isDnsName(suffix)) return 'is a wildcard that is not *. followed by a DNS name';
    return withPort({ kind: 'subdomains', suffix });
  }
  if (!isDnsName(lower)) return 'is not a DNS name, *.name, IPv4 literal or [IPv6] literal';
  return withPort({ kind: 'name', name: lower });
}

/** Parses the whole list; `bad` holds each entry that is not one, with the reason. */
export function parseAllowedHosts(value: string): { hosts: AllowedHost[]; bad: string[] } {
  const hosts: AllowedHost[] = [];
  const bad: string[] = [];
  if (value.trim() === '') return { hosts, bad };
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    if (entry === '') {
      bad.push('an empty entry (two commas in a row, or one at an end)');
      continue;
    }
    const parsed = parseAllowedHost(entry);
    if (typeof parsed === 'string') bad.push(`'${entry}' ${parsed}`);
    else hosts.push(parsed);
  }
  return { hosts, bad };
}

function isDnsName(value: string): boolean {
  if (value.length === 0 || value.length > 253) return false;
  const labels = value.split('.');
  // A name whose last label is all digits would read as an IPv4 address in a URL.
  return labels.every((label) => LABEL.test(label)) && !/^\d+$/.test(labels[labels.length - 1]);
}

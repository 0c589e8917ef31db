/** What RABBITMQ_URL accepts, as the error for a bad value says it. */
export const RABBITMQ_URL_FORMAT =
  'must be a URL starting with amqp:// or amqps://, or a comma list of such URLs, one per node of a cluster, ' +
  'all naming the same vhost (a comma in a password is written %2C)';

/** RABBITMQ_URL split into its brokers, or what is wrong with it (never showing a password). */
export type BrokerUrls = { urls: string[]; problem?: undefined } | { urls?: undefined; problem: string };

/**
 * Splits RABBITMQ_URL on commas and checks each entry: an `amqp:` or `amqps:` URL with a host,
 * no entry twice, and one vhost for all (another vhost is another set of queues, so a worker on
 * one node would not see what the relay published through another). A URL cannot hold a bare
 * comma (it is percent-encoded), so splitting on commas never cuts one in two.
 */
export function parseBrokerUrls(value: string): BrokerUrls {
  const entries = value.split(',').map((entry) => entry.trim());
  const at = (index: number) => (entries.length > 1 ? `entry ${index + 1} of ${entries.length}` : 'the URL');
  const problems: string[] = [];
  entries.forEach((entry, index) => {
    if (entry === '') problems.push(`${at(index)} is empty`);
    else if (!isBrokerUrl(entry)) problems.push(`${at(index)} is not one: got ${shown(entry)}`);
  });
  if (problems.length === 0) {
    const seen = new Set<string>();
    for (const entry of entries) {
      const key = new URL(entry).href;
      if (seen.has(key)) problems.push(`${brokerAddress(entry)} is listed twice`);
      seen.add(key);
    }
    const vhosts = [...new Set(entries.map(vhostOf))];
    if (vhosts.length > 1) problems.push(`the URLs name different vhosts (${vhosts.map((v) => `'${v}'`).join(', ')})`);
  }
  return problems.length > 0 ? { problem: `${RABBITMQ_URL_FORMAT}: ${problems.join('; ')}` } : { urls: entries };
}

/**
 * Where a broker URL points, for logs and `/ready`: `host:port/vhost`, or `host:port` for the
 * default vhost `/`, with no user or password. The port is amqp's default (5672, or 5671 for
 * amqps) when the URL names none.
 */
export function brokerAddress(url: string): string {
  try {
    const parsed = new URL(url);
    const port = parsed.port || (parsed.protocol === 'amqps:' ? '5671' : '5672');
    const vhost = vhostOf(url);
    return `${parsed.hostname}:${port}${vhost === '/' ? '' : `/${vhost}`}`;
  } catch {
    return 'an unreadable broker URL';
  }
}

function isBrokerUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'amqp:' || url.protocol === 'amqps:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** The vhost a URL names: its path without the leading slash, decoded; `/` (RabbitMQ's default) when it has none. */
function vhostOf(url: string): string {
  const path = new URL(url).pathname.slice(1);
  return path === '' ? '/' : decodeURIComponent(path);
}

/**
 * A bad entry as an error may show it. A URL that parses is shown with everything up to its last
 * `@` hidden. Anything else may hold a piece of a password cut at a comma (`amqp://app:pa` of
 * `amqp://app:pa,ss@host`), so of text that starts like a URL only its scheme is shown, and
 * other text not at all.
 */
function shown(entry: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(entry)?.[0];
  const hint = '(the rest is not shown: it may be part of a password; write a comma in a password as %2C)';
  if (scheme === undefined) return `something that is not a URL ${hint}`;
  try {
    new URL(entry);
  } catch {
    return `'${scheme}...' ${hint}`;
  }
  const at = entry.lastIndexOf('@');
  return at >= scheme.length ? `'${scheme}***${entry.slice(at)}'` : `'${entry}'`;
}

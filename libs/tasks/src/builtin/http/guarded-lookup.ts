import { promises as dns, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { AllowedHost } from '#config';
import { refusalOfAddress } from './host-policy.js';

/** Resolves a host name to its addresses; the system resolver unless a test gives its own. */
export type HostResolver = (hostname: string) => Promise<LookupAddress[]>;

/** Every address of a name, as `getaddrinfo` gives them (the resolver `http.request` would use). */
export const systemResolver: HostResolver = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

/** A resolved address that the allow-list refuses; the request fails with it before any byte is sent. */
export class RefusedAddressError extends Error {
  readonly code = 'HTTP_TASK_ADDRESS_REFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'RefusedAddressError';
  }
}

/**
 * A `lookup` for `net.connect` that checks every address the name resolves to before the socket
 * connects. The check and the connection use the same answer, so a name whose DNS changes
 * between a check and a connect (DNS rebinding) cannot slip past: there is no separate check.
 * One refused address refuses the whole answer, so a mixed answer cannot be raced either.
 */
export function guardedLookup(resolver: HostResolver, entries: readonly AllowedHost[], port: number): LookupFunction {
  return (hostname, options, callback) => {
    const done = callback;
    // The answer is handed to the socket outside the promise chain, so an exception thrown by
    // the socket's own callback is not swallowed as a rejection.
    const deliver = (outcome: LookupOutcome) =>
      setImmediate(() => {
        if ('error' in outcome) done(outcome.error, '', 0);
        else if (options.all) done(null, outcome.addresses);
        else done(null, outcome.addresses[0].address, outcome.addresses[0].family);
      });
    checkedAnswer(resolver, entries, port, hostname, familyNumber(options.family)).then(deliver, (error: NodeJS.ErrnoException) => deliver({ error }));
  };
}

/** `net` passes the family as 4, 6, 'IPv4' or 'IPv6'; 0 or absent means either. */
function familyNumber(family: number | 'IPv4' | 'IPv6' | undefined): number | undefined {
  if (family === 'IPv4') return 4;
  if (family === 'IPv6') return 6;
  return family;
}

type LookupOutcome = { error: NodeJS.ErrnoException } | { addresses: LookupAddress[] };

/** The resolver's answer for `hostname`, or the reason it is refused (one refused address refuses it whole). */
async function checkedAnswer(
  resolver: HostResolver,
  entries: readonly AllowedHost[],
  port: number,
  hostname: string,
  family: number | undefined,
): Promise<LookupOutcome> {
  const answer = await resolver(hostname);
  const addresses = answer.filter((a) => !family || a.family === family);
  if (addresses.length === 0) return { error: Object.assign(new Error(`no address found for ${hostname}`), { code: 'ENOTFOUND' }) };
  for (const { address } of addresses) {
    const refusal = refusalOfAddress(entries, address, port);
    if (refusal) return { error: new RefusedAddressError(`${hostname} resolves to an address it may not reach: ${refusal}`) };
  }
  return { addresses };
}

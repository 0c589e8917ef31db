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
    const done = callback as (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
    resolver(hostname).then(
      (answer) => {
        const addresses = answer.filter((a) => !options.family || a.family === options.family);
        if (addresses.length === 0) {
          return done(Object.assign(new Error(`no address found for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
        }
        for (const { address } of addresses) {
          const refusal = refusalOfAddress(entries, address, port);
          if (refusal) return done(new RefusedAddressError(`${hostname} resolves to ${refusal}`), '', 0);
        }
        if (options.all) return done(null, addresses);
        return done(null, addresses[0].address, addresses[0].family);
      },
      (error: NodeJS.ErrnoException) => done(error, '', 0),
    );
  };
}

import type { LookupAddress } from 'node:dns';
import type { AllowedHost } from '#config';
import { guardedLookup, type HostResolver, RefusedAddressError } from './guarded-lookup.js';

interface LookupAnswer {
  error: (Error & { code?: string }) | null;
  address: string | LookupAddress[];
  family?: number;
}

/** Calls a lookup as `net.connect` does and hands back what it answered. */
function lookupOnce(sut: ReturnType<typeof guardedLookup>, hostname: string, options: { all?: boolean; family?: number }): Promise<LookupAnswer> {
  return new Promise((resolve) => {
    sut(hostname, options, (error: Error | null, address: string | LookupAddress[], family?: number) => resolve({ error, address, family }));
  });
}

/** A resolver that gives each answer in turn, then the last one again; it counts its calls. */
function scriptedResolver(...answers: LookupAddress[][]): HostResolver & { calls: string[] } {
  const calls: string[] = [];
  const resolver = async (hostname: string) => {
    calls.push(hostname);
    return answers[Math.min(calls.length - 1, answers.length - 1)];
  };
  return Object.assign(resolver, { calls });
}

const publicV4: LookupAddress = { address: '93.184.215.14', family: 4 };
const publicV6: LookupAddress = { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 };
const loopback: LookupAddress = { address: '127.0.0.1', family: 4 };
const metadata: LookupAddress = { address: '169.254.169.254', family: 4 };
const byName: AllowedHost[] = [{ kind: 'name', name: 'hooks.example.com' }];

describe(guardedLookup.name, () => {
  it('hands a public answer on, every address when asked for all', async () => {
    const sut = guardedLookup(scriptedResolver([publicV4, publicV6]), byName, 443);

    await expect(lookupOnce(sut, 'hooks.example.com', { all: true })).resolves.toEqual({ error: null, address: [publicV4, publicV6], family: undefined });
  });

  it('hands the first address on when asked for one', async () => {
    const sut = guardedLookup(scriptedResolver([publicV4, publicV6]), byName, 443);

    await expect(lookupOnce(sut, 'hooks.example.com', {})).resolves.toEqual({ error: null, address: publicV4.address, family: 4 });
  });

  it('keeps only the family asked for', async () => {
    const sut = guardedLookup(scriptedResolver([publicV4, publicV6]), byName, 443);

    await expect(lookupOnce(sut, 'hooks.example.com', { family: 6 })).resolves.toEqual({ error: null, address: publicV6.address, family: 6 });
  });

  it('refuses a name that resolves to loopback, naming the address and the range', async () => {
    const sut = guardedLookup(scriptedResolver([loopback]), byName, 443);

    const answer = await lookupOnce(sut, 'hooks.example.com', { all: true });

    expect(answer.error).toBeInstanceOf(RefusedAddressError);
    expect(answer.error?.message).toBe(
      'hooks.example.com resolves to an address it may not reach: 127.0.0.1 is a loopback address; ' +
        'only an HTTP_TASK_ALLOWED_HOSTS entry that is this IP literal may reach it',
    );
  });

  it('refuses an answer that mixes a public and a private address', async () => {
    const sut = guardedLookup(scriptedResolver([publicV4, metadata]), byName, 80);

    expect((await lookupOnce(sut, 'hooks.example.com', { all: true })).error).toBeInstanceOf(RefusedAddressError);
  });

  it('checks each connection on its own answer: public first, private on the next (DNS rebinding)', async () => {
    const resolver = scriptedResolver([publicV4], [loopback]);
    const sut = guardedLookup(resolver, byName, 80);

    const first = await lookupOnce(sut, 'hooks.example.com', { all: true });
    const second = await lookupOnce(sut, 'hooks.example.com', { all: true });

    expect(first).toEqual({ error: null, address: [publicV4], family: undefined });
    expect(second.error).toBeInstanceOf(RefusedAddressError);
    expect(resolver.calls).toEqual(['hooks.example.com', 'hooks.example.com']);
  });

  it('lets a private answer through when an IP entry names that address and port', async () => {
    const sut = guardedLookup(scriptedResolver([loopback]), [...byName, { kind: 'ip', ip: '127.0.0.1', port: 8080 }], 8080);

    await expect(lookupOnce(sut, 'hooks.example.com', {})).resolves.toEqual({ error: null, address: '127.0.0.1', family: 4 });
  });

  it('passes a resolver error on', async () => {
    const notFound = Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.example.com'), { code: 'ENOTFOUND' });
    const sut = guardedLookup(async () => Promise.reject(notFound), byName, 80);

    expect((await lookupOnce(sut, 'nowhere.example.com', {})).error).toBe(notFound);
  });

  it('answers ENOTFOUND when no address of the family asked for is left', async () => {
    const sut = guardedLookup(scriptedResolver([publicV4]), byName, 80);

    expect((await lookupOnce(sut, 'hooks.example.com', { family: 6 })).error).toMatchObject({ code: 'ENOTFOUND' });
  });
});

import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { addAbortSignal, pipeline, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { IsIn, IsInt, IsObject, IsOptional, IsUrl, Max, Min, ValidateBy } from 'class-validator';
import { APP_CONFIG, type AppConfig } from '#config';
import { PermanentTaskError, TransientTaskError } from '../registry/task-errors.js';
import { TaskHandler } from '../registry/task-handler.decorator.js';
import type { TaskContext, TaskHandlerContract } from '../registry/task-handler.interface.js';
import { guardedLookup, type HostResolver, RefusedAddressError, systemResolver } from './http/guarded-lookup.js';
import { bareHost, canonicalIp, describeUrl, findAllowedHost, isSecretHeader, portOf, refusalOfAddress, scrubSecrets } from './http/host-policy.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
/** Redirects followed, each checked against the allow-list like the first call. */
export const HTTP_TASK_MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Injection token of the {@link HostResolver} the handler looks names up with; the system resolver when absent. */
export const HTTP_TASK_RESOLVER = Symbol('HTTP_TASK_RESOLVER');

/** An HTTP header name: a token (RFC 9110). */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export class HttpRequestPayload {
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  url!: string;

  @IsIn(METHODS)
  method!: (typeof METHODS)[number];

  @IsOptional()
  @IsObject()
  @ValidateBy({
    name: 'isStringRecord',
    validator: {
      // What Node would refuse to send (a name that is not an HTTP token, a value with CR, LF
      // or NUL) is refused here, so the API answers 400 instead of the task failing later.
      validate: (value: unknown) =>
        typeof value === 'object' &&
        value !== null &&
        Object.entries(value).every(([name, v]) => HEADER_NAME.test(name) && typeof v === 'string' && !/[\r\n\0]/.test(v)),
      defaultMessage: () => "headers must map each header name (letters, digits and !#$%&'*+-.^_`|~) to a string without CR, LF or NUL",
    },
  })
  headers?: Record<string, string>;

  /** Sent as JSON unless it is a string. */
  @IsOptional()
  body?: unknown;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(600_000)
  timeoutMs?: number;
}

export interface HttpRequestResult {
  status: number;
  body: unknown;
}

/** A call the configuration does not allow: not retried, the error says which variable allows it. */
export class HttpTaskRefusedError extends PermanentTaskError {
  override readonly code = 'HTTP_TASK_REFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'HttpTaskRefusedError';
  }
}

/** One request as it goes out; a redirect changes it. */
interface Hop {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/**
 * Calls an HTTP service the operator allowed in `HTTP_TASK_ALLOWED_HOSTS`. A 5xx, a network error
 * or a time-out is retried; a 4xx, a refused host or address, or a body past
 * `HTTP_TASK_MAX_RESPONSE_BYTES` fails for good. The result holds the status and the body (JSON
 * when it parses, text otherwise). Names are resolved and checked at connect time; redirects are
 * followed here, up to {@link HTTP_TASK_MAX_REDIRECTS}, each hop checked again. Errors never
 * carry the URL's user, password or query, nor a secret header's value.
 */
@Injectable()
@TaskHandler({
  type: 'http.request',
  payload: HttpRequestPayload,
  description:
    'Calls {url} with {method, headers?, body?, timeoutMs?} on a host allowed by HTTP_TASK_ALLOWED_HOSTS; 5xx and time-outs are retried, 4xx fails for good.',
})
export class HttpRequestHandler implements TaskHandlerContract<HttpRequestPayload, HttpRequestResult> {
  private readonly resolver: HostResolver;
  // Our own agents, without keep-alive: every connection is made, and checked, by this handler.
  private readonly agents = { http: new http.Agent({ keepAlive: false }), https: new https.Agent({ keepAlive: false }) };

  constructor(
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'httpTask'>,
    @Optional() @Inject(HTTP_TASK_RESOLVER) resolver?: HostResolver | null,
  ) {
    this.resolver = resolver ?? systemResolver;
  }

  async run(payload: HttpRequestPayload, context: TaskContext): Promise<HttpRequestResult> {
    const timeoutMs = payload.timeoutMs ?? 30_000;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([context.signal, timeout]);
    const hop = firstHop(payload, context.correlationId);
    const secrets = secretsOf(hop.url, hop.headers);
    const safe = (text: string) => scrubSecrets(text, secrets);
    try {
      return await this.follow(hop, signal);
    } catch (error) {
      const where = `${hop.method} ${describeUrl(hop.url)}`;
      if (context.signal.aborted) throw context.signal.reason;
      if (error instanceof PermanentTaskError || error instanceof TransientTaskError) {
        const Type = error.constructor as new (message: string) => Error;
        throw new Type(safe(`http.request: ${where}: ${error.message}`));
      }
      if (timeout.aborted) throw new TransientTaskError(safe(`http.request: no answer from ${where} within ${timeoutMs} ms`));
      if (error instanceof RefusedAddressError) throw new HttpTaskRefusedError(safe(`http.request: ${where} refused: ${error.message}`));
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ERR_INVALID_HTTP_TOKEN' || code === 'ERR_INVALID_CHAR') {
        throw new PermanentTaskError(safe(`http.request: ${where}: a header is not valid: ${(error as Error).message}`));
      }
      throw new TransientTaskError(safe(`http.request: ${where} failed: ${(error as Error).message}`));
    }
  }

  /** Sends `hop`, following redirects by hand; `hop` is updated in place so errors name the last one. */
  private async follow(hop: Hop, signal: AbortSignal): Promise<HttpRequestResult> {
    for (let redirects = 0; ; redirects++) {
      const response = await this.send(hop, signal);
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (REDIRECT_STATUSES.has(status) && location) {
        response.destroy();
        if (redirects >= HTTP_TASK_MAX_REDIRECTS) throw new PermanentTaskError(`more than ${HTTP_TASK_MAX_REDIRECTS} redirects`);
        redirect(hop, status, location);
        continue;
      }
      if (status >= 500) {
        response.destroy();
        throw new TransientTaskError(`answered ${status}`);
      }
      if (status >= 400) {
        response.destroy();
        throw new PermanentTaskError(`answered ${status}`);
      }
      const text = await this.readBody(response, signal);
      return { status, body: parseJson(text) };
    }
  }

  /** One request, to a host the allow-list names and an address it accepts. */
  private send(hop: Hop, signal: AbortSignal): Promise<IncomingMessage> {
    const entries = this.config.httpTask.allowedHosts;
    const host = bareHost(hop.url);
    const port = portOf(hop.url);
    if (!findAllowedHost(entries, host, port)) throw new HttpTaskRefusedError(notAllowed(hop.url, entries.length === 0));
    // An IP literal is connected to without a lookup, so it is checked here.
    if (canonicalIp(host)) {
      const refusal = refusalOfAddress(entries, host, port);
      if (refusal) throw new HttpTaskRefusedError(`refused: ${refusal}`);
    }
    const https_ = hop.url.protocol === 'https:';
    return new Promise<IncomingMessage>((resolve, reject) => {
      const request = (https_ ? https : http).request(
        {
          protocol: hop.url.protocol,
          hostname: host,
          port,
          path: `${hop.url.pathname}${hop.url.search}`,
          method: hop.method,
          headers: hop.headers as OutgoingHttpHeaders,
          agent: https_ ? this.agents.https : this.agents.http,
          lookup: guardedLookup(this.resolver, entries, port),
          signal,
        },
        resolve,
      );
      request.on('error', reject);
      request.end(hop.body);
    });
  }

  /** Reads the body as a stream, decoded, and stops past `HTTP_TASK_MAX_RESPONSE_BYTES`. */
  private async readBody(response: IncomingMessage, signal: AbortSignal): Promise<string> {
    const max = this.config.httpTask.maxResponseBytes;
    const tooLarge = () => new PermanentTaskError(`the response body is larger than HTTP_TASK_MAX_RESPONSE_BYTES (${max} bytes); raise it, or ask for less`);
    if (Number(response.headers['content-length']) > max) {
      response.destroy();
      throw tooLarge();
    }
    const decoder = decoderFor(response.headers['content-encoding']);
    const stream: Readable = decoder ? pipeline(response, decoder, () => undefined) : response;
    addAbortSignal(signal, stream);
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        // Counted after decoding, so a small compressed body cannot expand past the limit either.
        total += chunk.length;
        if (total > max) throw tooLarge();
        chunks.push(chunk);
      }
    } finally {
      response.destroy();
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}

function firstHop(payload: HttpRequestPayload, correlationId: string): Hop {
  const url = new URL(payload.url);
  const headers: Record<string, string> = { 'x-request-id': correlationId, ...payload.headers };
  const has = (name: string) => Object.keys(headers).some((h) => h.toLowerCase() === name);
  // Credentials in the URL go out as Basic authentication, as curl sends them, and only to this origin.
  if ((url.username || url.password) && !has('authorization')) {
    const basic = Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64');
    headers.authorization = `Basic ${basic}`;
  }
  let body: string | undefined;
  if (payload.body !== undefined && payload.method !== 'GET' && payload.method !== 'HEAD') {
    body = typeof payload.body === 'string' ? payload.body : JSON.stringify(payload.body);
    if (typeof payload.body !== 'string' && !has('content-type')) headers['content-type'] = 'application/json';
  }
  return { url, method: payload.method, headers, body };
}

/**
 * Moves `hop` to the redirect's target: 303 (and 301/302 after a POST) become a GET without a body,
 * as browsers do; another origin gets none of the secret headers meant for the first one.
 */
function redirect(hop: Hop, status: number, location: string): void {
  let next: URL;
  try {
    next = new URL(location, hop.url);
  } catch {
    throw new PermanentTaskError(`answered ${status} with a Location that is not a URL`);
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new PermanentTaskError(`answered ${status} with a redirect to a ${next.protocol} URL`);
  const previous = hop.url;
  next.username = '';
  next.password = '';
  if ((status === 303 && hop.method !== 'HEAD') || ((status === 301 || status === 302) && hop.method === 'POST')) {
    hop.method = 'GET';
    hop.body = undefined;
    for (const name of Object.keys(hop.headers)) {
      if (/^content-(type|length|encoding|language|location)$/i.test(name)) delete hop.headers[name];
    }
  }
  if (next.origin !== previous.origin) {
    for (const name of Object.keys(hop.headers)) if (isSecretHeader(name)) delete hop.headers[name];
  }
  hop.url = next;
}

function notAllowed(url: URL, emptyList: boolean): string {
  // An IPv6 literal is written in brackets in an entry, as in a URL: `[::1]:8080`.
  const host = bareHost(url);
  const target = `${host.includes(':') ? `[${host}]` : host}:${portOf(url)}`;
  if (emptyList) {
    return (
      'refused: HTTP_TASK_ALLOWED_HOSTS is empty, so http.request may call no host; ' +
      `set it to a comma list of host or host:port entries (e.g. ${target}) to allow calls`
    );
  }
  return `refused: ${target} is not in HTTP_TASK_ALLOWED_HOSTS; add it (host or host:port) to allow the call`;
}

/** What must never be echoed: the URL's user and password, and the value of every secret header. */
function secretsOf(url: URL, headers: Record<string, string>): string[] {
  const secrets = [url.username, url.password];
  for (const [name, value] of Object.entries(headers)) {
    if (!isSecretHeader(name)) continue;
    secrets.push(value);
    // `Bearer abc`, `Basic abc`: the credential alone may be echoed without its scheme.
    const credential = /^\s*\S+\s+(\S.*)$/.exec(value)?.[1];
    if (credential) secrets.push(credential);
  }
  return secrets.filter((s) => s !== '');
}

function decoderFor(encoding: string | undefined): zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | undefined {
  switch ((encoding ?? '').trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return zlib.createGunzip();
    case 'deflate':
      return zlib.createInflate();
    case 'br':
      return zlib.createBrotliDecompress();
    default:
      return undefined;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

import { connect } from 'node:net';

/** One HTTP answer as it came off the wire. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends one request exactly as written, over a plain TCP socket. HTTP clients (supertest, fetch)
 * normalise the request target before sending it; the tests of odd targets need the bytes as
 * given: `GET http://any/api/v1/tasks HTTP/1.1`, `OPTIONS *`, `CONNECT host:443`, raw `%2F`.
 *
 * `Connection: close` is added unless a header list says otherwise, so the answer ends with the
 * connection. A connection the server closes without an answer is status 0.
 */
export async function rawRequest(port: number, requestLine: string, headers: [string, string][] = [], body?: string, timeoutMs = 10_000): Promise<RawResponse> {
  const lines = [requestLine];
  const names = new Set(headers.map(([name]) => name.toLowerCase()));
  if (!names.has('host') && !requestLine.endsWith('HTTP/1.0')) lines.push(`Host: 127.0.0.1:${port}`);
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  if (!names.has('connection')) lines.push('Connection: close');
  if (body !== undefined && !names.has('content-length')) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  const wire = `${lines.join('\r\n')}\r\n\r\n${body ?? ''}`;

  const received = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    // Written, not ended: a client that half-closes its side is told nothing by some servers.
    const socket = connect(port, '127.0.0.1', () => socket.write(wire));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms to ${requestLine.slice(0, 120)}`));
    }, timeoutMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    // A reset after the answer was written still leaves the answer to read.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
  return parse(received);
}

function parse(raw: Buffer): RawResponse {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (text === '' || end === -1) return { status: 0, headers: {}, body: text };
  const [statusLine, ...headerLines] = text.slice(0, end).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1'));
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
  return { status, headers, body: body.toString('utf8') };
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', offset);
    if (lineEnd === -1) break;
    const size = Number.parseInt(data.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!(size > 0)) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

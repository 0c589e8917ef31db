import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, type ProblemDocument } from '../problems/problem.js';
import { sendProblem, toProblem } from '../problems/problem.filter.js';

/**
 * Errors Fastify meets before a request reaches a route (a percent-escape that is not UTF-8, a
 * path parameter over the router's limit): answered as problems like every other refusal.
 * Fastify's own answer would be a bare JSON object.
 */
export function frameworkErrors(error: Error, request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', request.id);
  const { problem, headers } = toProblem(error, request);
  sendProblem(reply, problem, headers);
}

/**
 * A request Node's HTTP parser could not read (bad syntax, headers over the size limit, too
 * slow): a problem written straight to the socket, which then closes. A reset connection has
 * nobody to answer.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const kind = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'REQUEST_TIMEOUT' : error.code === 'HPE_HEADER_OVERFLOW' ? 'HEADERS_TOO_LARGE' : 'MALFORMED_REQUEST';
  const detail = {
    REQUEST_TIMEOUT: 'The request did not arrive in time.',
    HEADERS_TOO_LARGE: 'The request line and headers are larger than this server reads.',
    MALFORMED_REQUEST: 'The request could not be read as HTTP/1.1.',
  }[kind];
  writeRawProblem(socket, { ...PROBLEM_TYPES[kind], detail, code: kind, requestId: randomUUID() });
  socket.destroy();
}

/** CONNECT asks for a tunnel; this API is no proxy. */
export function refuseConnect(socket: Duplex): void {
  const problem = {
    ...PROBLEM_TYPES.METHOD_NOT_ALLOWED,
    detail: 'CONNECT is not served: this is not a proxy.',
    code: 'METHOD_NOT_ALLOWED',
    requestId: randomUUID(),
  };
  writeRawProblem(socket, problem, { allow: 'GET, HEAD, POST, DELETE, OPTIONS' });
}

function writeRawProblem(socket: Duplex, problem: ProblemDocument, headers: Record<string, string> = {}): void {
  if (!socket.writable) return;
  const body = JSON.stringify(problem);
  const lines = [
    `HTTP/1.1 ${problem.status} ${problem.title}`,
    `content-type: ${PROBLEM_CONTENT_TYPE}`,
    `content-length: ${Buffer.byteLength(body)}`,
    `x-request-id: ${problem.requestId}`,
    'connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.on('error', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

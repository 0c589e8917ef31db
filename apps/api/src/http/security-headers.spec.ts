import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import helmet from 'helmet';
import { HELMET_OPTIONS, securityHeaders } from './security-headers.js';

/** What helmet's middleware itself leaves on a real response. */
function headersHelmetSets(): Record<string, unknown> {
  const response = new ServerResponse(new IncomingMessage(new Socket()));
  helmet(HELMET_OPTIONS)(response.req, response, () => undefined);
  return { ...response.getHeaders() };
}

describe(securityHeaders.name, () => {
  it('is exactly the set of headers helmet sets on a response', () => {
    const sut = securityHeaders(HELMET_OPTIONS);

    expect(Object.fromEntries(sut)).toEqual(headersHelmetSets());
  });

  it('carries the API policy: no sniffing, no framing, the CSP Swagger UI needs', () => {
    const sut = new Map(securityHeaders(HELMET_OPTIONS));

    expect(sut.get('x-content-type-options')).toBe('nosniff');
    expect(sut.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(sut.get('content-security-policy')).toContain("script-src 'self' 'unsafe-inline'");
    expect(sut.get('strict-transport-security')).toMatch(/^max-age=\d+/);
  });
});

import { DASHBOARD_HELMET_OPTIONS } from './dashboard.js';
import { HELMET_OPTIONS, securityHeaders } from './security-headers.js';

describe('the dashboard security headers', () => {
  it('let the dashboard load its own scripts, styles and API calls and nothing inline or foreign', () => {
    const sut = new Map(securityHeaders(DASHBOARD_HELMET_OPTIONS)).get('content-security-policy')!;

    expect(sut.split(';')).toEqual(
      expect.arrayContaining([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
      ]),
    );
    expect(sut).not.toContain('unsafe-inline');
    expect(sut).not.toContain('unsafe-eval');
  });

  it('keep the rest of the API policy', () => {
    const api = new Map(securityHeaders(HELMET_OPTIONS));
    const sut = new Map(securityHeaders(DASHBOARD_HELMET_OPTIONS));

    expect(sut.get('x-content-type-options')).toBe(api.get('x-content-type-options'));
    expect(sut.get('strict-transport-security')).toBe(api.get('strict-transport-security'));
    expect(sut.get('referrer-policy')).toBe(api.get('referrer-policy'));
  });
});

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { HELMET_OPTIONS, securityHeaders } from './security-headers.js';

/** Where the browser finds the dashboard (outside /api/v1, like /docs). */
export const DASHBOARD_PATH = '/dashboard';

/**
 * The dashboard's files, built by `npm run build` next to the api's own build
 * (dist/apps/dashboard/public), found from this file's place in dist/.
 */
export const DASHBOARD_ROOT = fileURLToPath(new URL('../../../dashboard/public/', import.meta.url));

/**
 * The dashboard's own Content-Security-Policy, stricter than the API's (which lets Swagger UI run
 * inline code): its scripts, styles and requests come from this origin only, nothing inline, no
 * plugins, no framing, and forms and <base> can point nowhere else.
 */
export const DASHBOARD_HELMET_OPTIONS = {
  ...HELMET_OPTIONS,
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      fontSrc: ["'self'"],
      manifestSrc: ["'self'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      objectSrc: ["'none'"],
    },
  },
};

/**
 * Serves the dashboard's static files at /dashboard/ (@fastify/static redirects /dashboard there). The files
 * hold no data: every figure comes from the API, behind its keys. Each file is revalidated on
 * every load (ETag), so a new build is picked up at once. Without a build of the dashboard (an
 * api started from a tree where it was never built) nothing is served and `false` comes back.
 */
export async function serveDashboard(app: NestFastifyApplication, root = DASHBOARD_ROOT): Promise<boolean> {
  if (!existsSync(root)) return false;
  // Loaded here, not at the top: Jest's module loader cannot load @fastify/static next to
  // ESM-only Nest (see configureHttp), and in-process suites never serve the dashboard.
  const { default: fastifyStatic } = await import('@fastify/static');
  const headers = securityHeaders(DASHBOARD_HELMET_OPTIONS);
  const fastify = app.getHttpAdapter().getInstance();
  await fastify.register(fastifyStatic, {
    root,
    prefix: `${DASHBOARD_PATH}/`,
    decorateReply: false,
    index: ['index.html'],
    redirect: true,
    wildcard: false,
    cacheControl: true,
    maxAge: 0,
    setHeaders: (reply) => {
      for (const [name, value] of headers) reply.header(name, value);
      reply.header('cache-control', 'no-cache');
    },
  });
  return true;
}

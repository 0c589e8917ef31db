// The container's health check (Dockerfile HEALTHCHECK): GET /health on 127.0.0.1, on the port
// where this container's app serves it. One image runs every app, so it asks both: API_PORT
// (the api) and HEALTH_CHECK_PORT (relay and worker), defaults 3000 and 3001. Exit 0 when one
// answers 200 within 3 s, 1 otherwise. Plain node:http: the slim image has no curl.
import { get } from 'node:http';

const ports = [...new Set([process.env.API_PORT || '3000', process.env.HEALTH_CHECK_PORT || '3001'])].map(Number);

const healthy = (port) =>
  new Promise((resolve) => {
    const request = get({ host: '127.0.0.1', port, path: '/health', timeout: 3000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', () => resolve(false));
  });

const results = await Promise.all(ports.filter((port) => port > 0).map(healthy));
process.exit(results.includes(true) ? 0 : 1);

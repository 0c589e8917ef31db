/**
 * The routes the API serves, collected from Fastify's onRoute hook. Used to answer 405 (with
 * `Allow`) rather than 404 when the path exists under another method, and by the test that
 * checks the OpenAPI document lists every route.
 */
export class RouteTable {
  private readonly routes: { method: string; url: string; pattern: RegExp }[] = [];

  add(method: string | string[], url: string): void {
    const escaped = url
      .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
      .replace(/:[A-Za-z0-9_]+/g, '[^/]+')
      .replace(/\*/g, '.*');
    const pattern = new RegExp(`^${escaped}/?$`);
    for (const m of Array.isArray(method) ? method : [method]) this.routes.push({ method: m.toUpperCase(), url, pattern });
  }

  list(): { method: string; url: string }[] {
    return this.routes.map(({ method, url }) => ({ method, url }));
  }

  /** Methods served for a concrete path, e.g. `['GET', 'DELETE']` for `/api/v1/tasks/<id>`. */
  methodsFor(path: string): string[] {
    // HEAD mirrors GET, and OPTIONS may be a catch-all of CORS: neither says the path exists.
    return [...new Set(this.routes.filter((r) => r.pattern.test(path)).map((r) => r.method))].filter((m) => m !== 'HEAD' && m !== 'OPTIONS');
  }
}

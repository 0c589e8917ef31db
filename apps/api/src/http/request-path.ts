/**
 * The path of a request target as the router reads it, without the query: an absolute-form
 * target (`http://host:port/api/v1/tasks?x`) loses its scheme and authority, the way Fastify's
 * router (find-my-way) strips them before matching. Used only to describe a request (the
 * `instance` of a problem, the methods of a 405); what a request may do is decided on the route
 * that matched, never on this string.
 */
export function requestPath(url: string): string {
  let path = url;
  if (!path.startsWith('/')) {
    const absolute = /^https?:\/\/[^/?#]*/i.exec(path);
    if (absolute) path = path.slice(absolute[0].length);
  }
  const end = path.search(/[?#]/);
  return (end === -1 ? path : path.slice(0, end)) || '/';
}

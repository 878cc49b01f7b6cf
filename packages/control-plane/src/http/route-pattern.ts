import type { Context } from 'hono';
import { matchedRoutes } from 'hono/route';

/** The label of requests that matched no route (404s, wrong methods): one value, not the raw path. */
export const UNMATCHED_ROUTE = '(unmatched)';

/**
 * The pattern of the route that answered (`/v1/changes/:id`), for logs and metric labels; never
 * the raw path, whose ids would give every request its own time series. `c.req.routePath` is not
 * enough in an app-wide middleware: there it names the middleware's own `/*`. The answering
 * route is the last matched handler registered for a method; middleware is registered for all.
 *
 * @example
 * app.use(async (c, next) => { await next(); console.log(routePattern(c)) }) // '/v1/projects/:id'
 */
export function routePattern(c: Context): string {
  // Asked by the access log and by the metrics for every request: found once.
  let pattern = patterns.get(c);
  if (pattern === undefined) {
    pattern = UNMATCHED_ROUTE;
    const routes = matchedRoutes(c);
    for (let i = routes.length - 1; i >= 0; i--) {
      const route = routes[i];
      if (route && route.method !== 'ALL') {
        pattern = route.path;
        break;
      }
    }
    patterns.set(c, pattern);
  }
  return pattern;
}

const patterns = new WeakMap<Context, string>();

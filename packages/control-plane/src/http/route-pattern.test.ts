import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { routePattern, UNMATCHED_ROUTE } from './route-pattern.js';

function app() {
  const seen: string[] = [];
  const hono = new Hono();
  hono.use(async (c, next) => {
    await next();
    seen.push(routePattern(c));
  });
  hono.use('/v1/*', async (_c, next) => next());
  const items = new Hono();
  items.get('/:id', (c) => c.text('item'));
  hono.route('/v1/items', items);
  hono.post('/v1/things', (c) => c.text('thing'));
  return { hono, seen };
}

describe('routePattern', () => {
  it('names the pattern of the route that answered, not the raw path', async () => {
    const { hono, seen } = app();
    await hono.request('/v1/items/itm_123?secret=x');
    await hono.request('/v1/things', { method: 'POST' });
    expect(seen).toEqual(['/v1/items/:id', '/v1/things']);
  });

  it('gives one label to every unmatched request', async () => {
    const { hono, seen } = app();
    await hono.request('/v1/nothing/here');
    await hono.request('/v1/things'); // GET on a POST-only path
    expect(seen).toEqual([UNMATCHED_ROUTE, UNMATCHED_ROUTE]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDatabase } from '../../../../scripts/test-support/postgres.js';
import { type LiveControlPlane, liveControlPlane } from '../test-support/live-control-plane.js';

/** Catalog names over real HTTP: each finds one object where people and the CLI look it up. */
describe.each([
  ['SQLite', async () => undefined],
  ['PostgreSQL', async () => (await tempDatabase()).url],
])('catalog names on %s', (_name, database) => {
  let t: LiveControlPlane;
  let admin: string;
  beforeAll(async () => {
    t = await liveControlPlane(await database());
    admin = await t.login('admin@acme.test');
  });
  afterAll(async () => {
    await t?.close();
  });

  const post = (path: string, body: unknown) => t.call('POST', path, { token: admin, body });
  const created = async (path: string, body: unknown): Promise<string> => {
    const response = await post(path, body);
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body.id as string;
  };
  const expectTaken = async (path: string, body: unknown, kind: string, id: string, where: string) => {
    const response = await post(path, body);
    expect(response.status).toBe(409);
    expect(response.body.error).toMatchObject({
      code: 'ISOTYP_CONFLICT',
      message: expect.stringContaining(`already exists ${where} (${id})`),
      hint: `Use that ${kind}, or choose another name.`,
    });
  };

  it('refuses a second project, environment or target of one name where it must find one, and writes nothing', async () => {
    const shop = await created('/v1/projects', { name: 'shop' });
    const blog = await created('/v1/projects', { name: 'blog' });
    await expectTaken('/v1/projects', { name: 'shop' }, 'project', shop, 'in this organisation');
    // Names are compared as given: another case is another name.
    await created('/v1/projects', { name: 'Shop' });

    const prod = await created(`/v1/projects/${shop}/environments`, { name: 'prod' });
    await expectTaken(`/v1/projects/${shop}/environments`, { name: 'prod' }, 'environment', prod, 'in this project');
    const blogProd = await created(`/v1/projects/${blog}/environments`, { name: 'prod' });

    const orders = await created('/v1/targets', { environmentId: prod, name: 'orders', dialect: 'postgres' });
    await expectTaken(
      '/v1/targets',
      { environmentId: prod, name: 'orders', dialect: 'sqlite' },
      'target',
      orders,
      'in this environment',
    );
    await created('/v1/targets', { environmentId: blogProd, name: 'orders', dialect: 'postgres' });

    expect((await t.server.store.projects.list('acme')).filter((p) => p.name === 'shop')).toHaveLength(1);
    expect((await t.server.store.environments.list('acme', shop)).map((e) => e.name)).toEqual(['prod']);
    expect((await t.server.store.targets.list('acme', { environmentId: prod })).map((x) => x.id)).toEqual([orders]);
    const audited = await t.server.store.audit.range(0, 100);
    expect(audited.filter((e) => e.action === 'project.create')).toHaveLength(3);
    expect(audited.filter((e) => e.action === 'environment.create')).toHaveLength(2);
    expect(audited.filter((e) => e.action === 'target.create')).toHaveLength(2);
  });

  it('answers an unknown id with where to find the right one', async () => {
    const missing = await t.call('GET', '/v1/projects/prj_missing', { token: admin });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({
      code: 'ISOTYP_NOT_FOUND',
      message: 'No project prj_missing in your organisation.',
      hint: 'List them with isotyp projects list (GET /v1/projects) to find the right id.',
    });
  });
});

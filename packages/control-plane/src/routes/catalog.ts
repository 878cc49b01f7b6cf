import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { dialectSchema, IsotypError, privacyModeSchema } from '@isotyp/protocol';
import { type AppDeps, createRouter } from '../app.js';
import { appendAudit } from '../audit/audit-log.js';
import type { AppEnv } from '../context.js';
import { can } from '../identity/rbac.js';
import { newId } from '../ids.js';
import { ReadCache } from '../storage/read-cache.js';
import type { EnvironmentRecord, ProjectRecord, TargetRecord } from '../storage/store.js';
import {
  actorOf,
  allow,
  authErrors,
  errorResponse,
  found,
  jsonArrayAnswer,
  jsonBody,
  jsonResponse,
  type SerialisedRows,
  serialiseRows,
} from './route-kit.js';

const nameSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]*$/, 'letters, digits, space, _ . -');
const idParam = z.string().min(1).max(128);

const project = z.object({ id: z.string(), name: z.string(), createdAt: z.string() }).openapi('Project');
const environment = z
  .object({
    id: z.string(),
    projectId: z.string(),
    name: z.string(),
    privacyMode: privacyModeSchema,
    createdAt: z.string(),
  })
  .openapi('Environment');
const target = z
  .object({
    id: z.string(),
    projectId: z.string(),
    environmentId: z.string(),
    name: z.string(),
    dialect: dialectSchema,
    agentId: z.string().optional(),
    version: z.string().optional(),
    digest: z.string().optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Target');
const schemaVersion = z
  .object({ version: z.string(), digest: z.string(), changeId: z.string().optional(), createdAt: z.string() })
  .openapi('SchemaVersion');

const projectView = ({ id, name, createdAt }: ProjectRecord) => ({ id, name, createdAt });
const environmentView = ({ orgId: _o, ...rest }: EnvironmentRecord) => rest;
const targetView = ({ orgId: _o, ...rest }: TargetRecord) => rest;

/**
 * Refuses a name already taken where it must find one object: a project in its organisation, an
 * environment in its project, a target in its environment. The database's unique indexes hold
 * it too, for two requests racing past this check.
 */
function nameFree(kind: string, name: string, where: string, siblings: readonly { id: string; name: string }[]): void {
  const taken = siblings.find((sibling) => sibling.name === name);
  if (taken === undefined) return;
  throw new IsotypError('ISOTYP_CONFLICT', `A ${kind} named ${name} already exists ${where} (${taken.id}).`, {
    hint: `Use that ${kind}, or choose another name.`,
    details: { id: taken.id },
  });
}

/**
 * The catalog: projects → environments (each with its privacy mode) → targets, and each
 * target's schema-version history. Writes need `catalog:write` at the parent's scope.
 */
export function catalogRoutes(deps: AppDeps): OpenAPIHono<AppEnv> {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());
  const app = createRouter();
  // An organisation's targets (by filter), until a target changes: the catalog is read far
  // more often than written. Who may see which is decided per request.
  const targetLists = new ReadCache<SerialisedRows<TargetRecord>>(store, { tables: ['targets'], max: 1000 });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/projects',
      tags: ['catalog'],
      request: { body: jsonBody(z.strictObject({ name: nameSchema })) },
      responses: { 201: jsonResponse(project, 'The new project.'), ...authErrors, 409: errorResponse },
    }),
    async (c) => {
      const principal = allow(c, 'catalog:write');
      const { name } = c.req.valid('json');
      const record: ProjectRecord = { id: newId('prj'), orgId: principal.orgId, name, createdAt: now().toISOString() };
      nameFree('project', name, 'in this organisation', await store.projects.list(principal.orgId));
      await store.projects.create(record);
      await appendAudit(
        store,
        {
          orgId: principal.orgId,
          actor: actorOf(principal),
          action: 'project.create',
          entity: { kind: 'project', id: record.id },
          details: { name },
        },
        now(),
      );
      return c.json(projectView(record), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/projects',
      tags: ['catalog'],
      responses: {
        200: jsonResponse(z.object({ projects: z.array(project) }), 'Projects you can read.'),
        ...authErrors,
      },
    }),
    async (c) => {
      const principal = allow(c, 'catalog:read', undefined, true);
      const all = await store.projects.list(principal.orgId);
      const visible = all.filter((p) => can(principal, 'catalog:read', { projectId: p.id }));
      return c.json({ projects: visible.map(projectView) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/projects/{projectId}',
      tags: ['catalog'],
      request: { params: z.object({ projectId: idParam }) },
      responses: { 200: jsonResponse(project, 'One project.'), ...authErrors },
    }),
    async (c) => {
      const principal = allow(c, 'catalog:read', undefined, true);
      const { projectId } = c.req.valid('param');
      const record = found(await store.projects.get(principal.orgId, projectId), 'project', projectId);
      allow(c, 'catalog:read', { projectId });
      return c.json(projectView(record), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/projects/{projectId}/environments',
      tags: ['catalog'],
      request: {
        params: z.object({ projectId: idParam }),
        body: jsonBody(z.strictObject({ name: nameSchema, privacyMode: privacyModeSchema.default('structure') })),
      },
      responses: { 201: jsonResponse(environment, 'The new environment.'), ...authErrors, 409: errorResponse },
    }),
    async (c) => {
      const principal = allow(c, 'catalog:read', undefined, true);
      const { projectId } = c.req.valid('param');
      found(await store.projects.get(principal.orgId, projectId), 'project', projectId);
      allow(c, 'catalog:write', { projectId });
      const { name, privacyMode } = c.req.valid('json');
      const record: EnvironmentRecord = {
        id: newId('env'),
        orgId: principal.orgId,
        projectId,
        name,
        privacyMode,
        createdAt: now().toISOString(),
      };
      nameFree('environment', name, 'in this project', await store.environments.list(principal.orgId, projectId));
      await store.environments.create(record);
      await appendAudit(
        store,
        {
          orgId: principal.orgId,
          actor: actorOf(principal),
          action: 'environment.create',
          entity: { kind: 'environment', id: record.id },
          details: { projectId, name, privacyMode },
        },
        now(),
      );
      return c.json(environmentView(record), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/projects/{projectId}/environments',
      tags: ['catalog'],
      request: { params: z.object({ projectId: idParam }) },
      responses: {
        200: jsonResponse(z.object({ environments: z.array(environment) }), 'The project’s environments.'),
        ...authErrors,
      },
    }),
    async (c) => {
      const principal = allow(c, 'catalog:read', undefined, true);
      const { projectId } = c.req.valid('param');
      found(await store.projects.get(principal.orgId, projectId), 'project', projectId);
      const all = await store.environments.list(principal.orgId, projectId);
      const visible = all.filter((e) => can(principal, 'catalog:read', { projectId, environmentId: e.id }));
      return c.json({ environments: visible.map(environmentView) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/targets',
      tags: ['catalog'],
      request: {
        body: jsonBody(z.strictObject({ environmentId: idParam, name: nameSchema, dialect: dialectSchema })),
      },
      responses: { 201: jsonResponse(target, 'The new target.'), ...authErrors, 409: errorResponse },
    }),
    async (c) => {
      const principal = allow(c, 'catalog:read', undefined, true);
      const { environmentId, name, dialect } = c.req.valid('json');
      const env = found(await store.environments.get(principal.orgId, environmentId), 'environment', environmentId);
      allow(c, 'catalog:write', { projectId: env.projectId, environmentId });
      const at = now().toISOString();
      const record: TargetRecord = {
        id: newId('tgt'),
        orgId: principal.orgId,
        projectId: env.projectId,
        environmentId,
        name,
        dialect,
        createdAt: at,
        updatedAt: at,
      };
      nameFree('target', name, 'in this environment', await store.targets.list(principal.orgId, { environmentId }));
      await store.targets.create(record);
      await appendAudit(
        store,
        {
          orgId: principal.orgId,
          actor: actorOf(principal),
          action: 'target.create',
          entity: { kind: 'target', id: record.id },
          details: { environmentId, name, dialect },
        },
        now(),
      );
      return c.json(targetView(record), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/targets',
      tags: ['catalog'],
      request: { query: z.object({ projectId: idParam.optional(), environmentId: idParam.optional() }) },
      responses: { 200: jsonResponse(z.object({ targets: z.array(target) }), 'Targets you can read.'), ...authErrors },
    }),
    async (c) => {
      const principal = allow(c, 'catalog:read', undefined, true);
      const filter = c.req.valid('query');
      const key = `${principal.orgId}\n${filter.projectId ?? ''}\n${filter.environmentId ?? ''}`;
      const all = await targetLists.get(key, async () =>
        serialiseRows(await store.targets.list(principal.orgId, filter), targetView),
      );
      return jsonArrayAnswer(
        c,
        all,
        (t) => can(principal, 'catalog:read', { projectId: t.projectId, environmentId: t.environmentId }),
        (visible) => `{"targets":${visible}}`,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/targets/{targetId}',
      tags: ['catalog'],
      request: { params: z.object({ targetId: idParam }) },
      responses: { 200: jsonResponse(target, 'One target.'), ...authErrors },
    }),
    async (c) => {
      const principal = allow(c, 'catalog:read', undefined, true);
      const { targetId } = c.req.valid('param');
      const record = found(await store.targets.get(principal.orgId, targetId), 'target', targetId);
      allow(c, 'catalog:read', { projectId: record.projectId, environmentId: record.environmentId });
      return c.json(targetView(record), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/targets/{targetId}/versions',
      tags: ['catalog'],
      request: { params: z.object({ targetId: idParam }) },
      responses: {
        200: jsonResponse(z.object({ versions: z.array(schemaVersion) }), 'Schema versions, oldest first.'),
        ...authErrors,
      },
    }),
    async (c) => {
      const principal = allow(c, 'catalog:read', undefined, true);
      const { targetId } = c.req.valid('param');
      const record = found(await store.targets.get(principal.orgId, targetId), 'target', targetId);
      allow(c, 'catalog:read', { projectId: record.projectId, environmentId: record.environmentId });
      const versions = await store.targets.versions(principal.orgId, targetId);
      return c.json(
        {
          versions: versions.map(({ version, digest, changeId, createdAt }) => ({
            version,
            digest,
            changeId,
            createdAt,
          })),
        },
        200,
      );
    },
  );

  return app;
}

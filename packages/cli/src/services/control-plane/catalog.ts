import { dialectSchema, IsotypError, type PrivacyMode, privacyModeSchema } from '@isotyp/protocol';
import { z } from 'zod';
import type { ControlPlaneClient } from './client.js';

export const projectSchema = z.object({ id: z.string(), name: z.string(), createdAt: z.string() });
export type Project = z.infer<typeof projectSchema>;

export const environmentSchema = z.object({
  id: z.string(),
  projectId: z.string(),
  name: z.string(),
  privacyMode: privacyModeSchema,
  createdAt: z.string(),
});
export type Environment = z.infer<typeof environmentSchema>;

export const targetSchema = z.object({
  id: z.string(),
  projectId: z.string(),
  environmentId: z.string(),
  name: z.string(),
  dialect: dialectSchema,
  agentId: z.string().optional(),
  version: z.string().optional(),
  digest: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string().optional(),
});
export type Target = z.infer<typeof targetSchema>;

export async function listProjects(client: ControlPlaneClient): Promise<Project[]> {
  return (await client.get('/v1/projects', z.object({ projects: z.array(projectSchema) }))).projects;
}

/**
 * Every project's and environment's name by id, to show ids the way people know them. An id
 * missing from it (made since) is shown as it is.
 *
 * @example
 * const names = await namesById(client); names.get('prj_…') // 'shop'
 */
export async function namesById(client: ControlPlaneClient): Promise<Map<unknown, string>> {
  const names = new Map<unknown, string>();
  const projects = await listProjects(client);
  const environments = await Promise.all(projects.map((project) => listEnvironments(client, project.id)));
  for (const item of [...projects, ...environments.flat()]) names.set(item.id, item.name);
  return names;
}

export async function createProject(client: ControlPlaneClient, name: string): Promise<Project> {
  return client.post('/v1/projects', { name }, projectSchema);
}

export async function listEnvironments(client: ControlPlaneClient, projectId: string): Promise<Environment[]> {
  const path = `/v1/projects/${encodeURIComponent(projectId)}/environments`;
  return (await client.get(path, z.object({ environments: z.array(environmentSchema) }))).environments;
}

export async function createEnvironment(
  client: ControlPlaneClient,
  input: { projectId: string; name: string; privacyMode: PrivacyMode },
): Promise<Environment> {
  const path = `/v1/projects/${encodeURIComponent(input.projectId)}/environments`;
  return client.post(path, { name: input.name, privacyMode: input.privacyMode }, environmentSchema);
}

export async function listTargets(
  client: ControlPlaneClient,
  filter: { projectId?: string | undefined; environmentId?: string | undefined } = {},
): Promise<Target[]> {
  return (await client.get('/v1/targets', z.object({ targets: z.array(targetSchema) }), filter)).targets;
}

export async function createTarget(
  client: ControlPlaneClient,
  input: { environmentId: string; name: string; dialect: Target['dialect'] },
): Promise<Target> {
  return client.post('/v1/targets', input, targetSchema);
}

/** A project named by id or by name. */
export async function resolveProject(client: ControlPlaneClient, ref: string): Promise<Project> {
  return pick(await listProjects(client), ref, 'project', 'isotyp projects list');
}

/**
 * An environment named by id or by name. Names are unique only within a project: without
 * `projectRef` every project is searched, and a name found in two projects must be made precise.
 *
 * @example
 * const env = await resolveEnvironment(client, 'prod', 'shop');
 */
export async function resolveEnvironment(
  client: ControlPlaneClient,
  ref: string,
  projectRef?: string,
): Promise<Environment> {
  const projects = projectRef === undefined ? await listProjects(client) : [await resolveProject(client, projectRef)];
  const all = (await Promise.all(projects.map((p) => listEnvironments(client, p.id)))).flat();
  return pick(all, ref, 'environment', 'isotyp envs list --project P', 'Pass --project, or the environment id.');
}

/**
 * A target of `environment` named by id or name; with no name, the environment's only target.
 */
export async function resolveTarget(
  client: ControlPlaneClient,
  environment: Environment,
  ref: string | undefined,
): Promise<Target> {
  const targets = await listTargets(client, { projectId: environment.projectId, environmentId: environment.id });
  if (ref !== undefined) return pick(targets, ref, 'target', `isotyp targets list --env ${environment.id}`, ambiguous);
  const [only, ...more] = targets;
  if (only !== undefined && more.length === 0) return only;
  throw new IsotypError(
    'ISOTYP_USAGE',
    targets.length === 0
      ? `Environment ${environment.name} has no targets.`
      : `Environment ${environment.name} has ${targets.length} targets; name one.`,
    {
      hint:
        targets.length === 0
          ? `Create one with isotyp targets create NAME --env ${environment.id} --dialect sqlite.`
          : `Pass --target with one of: ${targets.map((t) => t.name).join(', ')}.`,
    },
  );
}

/** A target named by id or name among those `filter` selects. */
export async function findTarget(
  client: ControlPlaneClient,
  ref: string,
  filter: { projectId?: string | undefined; environmentId?: string | undefined } = {},
): Promise<Target> {
  return pick(await listTargets(client, filter), ref, 'target', 'isotyp targets list', ambiguous);
}

const ambiguous = 'Pass --env (and --project), or the target id.';

/** The item whose id is `ref`, else the one whose name is `ref`. */
function pick<T extends { id: string; name: string }>(
  items: readonly T[],
  ref: string,
  kind: string,
  listCommand: string,
  ambiguousHint = `Pass the ${kind} id.`,
): T {
  const byId = items.find((item) => item.id === ref);
  if (byId !== undefined) return byId;
  const byName = items.filter((item) => item.name === ref);
  const [only, ...more] = byName;
  if (only !== undefined && more.length === 0) return only;
  if (only !== undefined) {
    throw new IsotypError('ISOTYP_USAGE', `${byName.length} ${kind}s are named ${ref}.`, {
      hint: `${ambiguousHint} Ids: ${byName.map((i) => i.id).join(', ')}.`,
    });
  }
  throw new IsotypError('ISOTYP_NOT_FOUND', `No ${kind} with the id or name ${ref}.`, {
    hint: `See the ${kind}s you can use with ${listCommand}.`,
    details: { kind, ref },
  });
}

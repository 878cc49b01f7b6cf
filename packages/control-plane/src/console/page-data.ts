import type { ApprovalEvaluation } from '@isotyp/protocol';
import type { ConsoleApi } from './api.js';
import type { Names } from './pages/changes.js';
import type { TargetView } from './pages/targets.js';

/** Display names for the ids on a page: people, targets and environments the viewer may see. */
export async function loadNames(api: ConsoleApi): Promise<Names> {
  const [people, targets, projects] = await Promise.all([
    api.tryGet<{ people: { id: string; email: string; displayName: string }[] }>('/v1/people'),
    api.tryGet<{ targets: TargetView[] }>('/v1/targets'),
    api.tryGet<{ projects: { id: string; name: string }[] }>('/v1/projects'),
  ]);
  const projectList = projects.ok ? projects.body.projects : [];
  const environments = await Promise.all(
    projectList.map((project) =>
      api.tryGet<{ environments: { id: string; name: string; privacyMode: string }[] }>(
        `/v1/projects/${encodeURIComponent(project.id)}/environments`,
      ),
    ),
  );
  const personNames = new Map((people.ok ? people.body.people : []).map((p) => [p.id, p.displayName || p.email]));
  const targetNames = new Map((targets.ok ? targets.body.targets : []).map((t) => [t.id, t.name]));
  const environmentNames = new Map<string, { name: string; privacyMode: string }>();
  projectList.forEach((project, i) => {
    const answer = environments[i];
    for (const env of answer?.ok ? answer.body.environments : []) {
      environmentNames.set(env.id, { name: `${project.name} / ${env.name}`, privacyMode: env.privacyMode });
    }
  });
  return {
    person: (id) => personNames.get(id) ?? id,
    target: (id) => targetNames.get(id) ?? id,
    environment: (id) => environmentNames.get(id) ?? { name: id },
  };
}

/** Why this viewer cannot sign `layer`, as the page says it (the server decides in the end). */
export function blockedFrom(
  layer: string,
  role: string,
  ctx: {
    canApprove: boolean;
    isAuthor: boolean;
    keyRoles: Set<string>;
    review: ApprovalEvaluation | undefined;
    viewerId: string;
  },
): { blocked?: string } {
  if (!ctx.canApprove) return { blocked: 'Your role does not let you approve changes in this environment.' };
  if (ctx.isAuthor) return { blocked: 'You wrote this change: somebody else signs it (separation of duties).' };
  const signed = ctx.review?.accepted.find((a) => a.userId === ctx.viewerId);
  if (signed !== undefined && signed.layer !== layer) {
    return { blocked: `You signed the “${signed.layer}” layer; one person signs one layer.` };
  }
  if (signed !== undefined) return { blocked: 'You signed this layer.' };
  if (ctx.keyRoles.size === 0) {
    return {
      blocked: 'Your key is not in the organisation’s keyring yet: ask an admin to run isotyp org sign-keyring.',
    };
  }
  if (!ctx.keyRoles.has(role)) return { blocked: `This layer needs a signer with the ${role} role in the keyring.` };
  return {};
}

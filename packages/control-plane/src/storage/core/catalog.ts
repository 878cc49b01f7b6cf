import { IsotypError } from '@isotyp/protocol';
import { asc, desc, eq, type SQL } from 'drizzle-orm';
import type { Store } from '../store.js';
import type { Driver } from './driver.js';
import { allOf, first, mapRows } from './query.js';
import { toSchemaVersion } from './records.js';

type Catalog = Pick<Store, 'projects' | 'environments' | 'targets' | 'trust' | 'approverKeys'>;

/** What an organisation governs (projects, environments, targets) and whom it trusts. */
export function catalogStore({ tables: t, run, recordVersion }: Driver): Catalog {
  const trustDoc = (where: SQL) =>
    first(run.select('trustDocuments', where, { orderBy: [desc(t.trustDocuments.version)], limit: 1 }));
  const docs = (orgId: string, kind: string) =>
    allOf(eq(t.trustDocuments.orgId, orgId), eq(t.trustDocuments.kind, kind));

  return {
    projects: {
      create: async (project) => void (await run.insert('projects', project)),
      get: (orgId, id) => first(run.select('projects', allOf(eq(t.projects.orgId, orgId), eq(t.projects.id, id)))),
      list: (orgId) =>
        run.select('projects', eq(t.projects.orgId, orgId), {
          orderBy: [asc(t.projects.createdAt), asc(t.projects.id)],
        }),
    },
    environments: {
      create: async (environment) => void (await run.insert('environments', environment)),
      get: (orgId, id) =>
        first(run.select('environments', allOf(eq(t.environments.orgId, orgId), eq(t.environments.id, id)))),
      list: (orgId, projectId) =>
        run.select('environments', allOf(eq(t.environments.orgId, orgId), eq(t.environments.projectId, projectId)), {
          orderBy: [asc(t.environments.createdAt), asc(t.environments.id)],
        }),
    },
    targets: {
      create: async (target) => void (await run.insert('targets', target)),
      get: (orgId, id) => first(run.select('targets', allOf(eq(t.targets.orgId, orgId), eq(t.targets.id, id)))),
      list: (orgId, filter) => {
        const where = allOf(
          eq(t.targets.orgId, orgId),
          filter.projectId === undefined ? undefined : eq(t.targets.projectId, filter.projectId),
          filter.environmentId === undefined ? undefined : eq(t.targets.environmentId, filter.environmentId),
        );
        return run.select('targets', where, { orderBy: [asc(t.targets.createdAt), asc(t.targets.id)] });
      },
      async recordVersion(version) {
        if (!(await recordVersion(version))) {
          throw new IsotypError('ISOTYP_NOT_FOUND', `No target ${version.targetId} in organisation ${version.orgId}.`);
        }
      },
      async assign(orgId, targetId, agentId, now) {
        const where = allOf(eq(t.targets.orgId, orgId), eq(t.targets.id, targetId));
        return (await run.update('targets', { agentId: agentId ?? null, updatedAt: now }, where)).length > 0;
      },
      versions: (orgId, targetId) =>
        mapRows(
          run.select(
            'schemaVersions',
            allOf(eq(t.schemaVersions.orgId, orgId), eq(t.schemaVersions.targetId, targetId)),
            {
              orderBy: [asc(t.schemaVersions.id)],
            },
          ),
          toSchemaVersion,
        ),
    },
    trust: {
      async put(doc) {
        const latest = await trustDoc(docs(doc.orgId, doc.kind));
        const next = (latest?.version ?? 0) + 1;
        // The read and the insert are two statements; the primary key (org, kind, version) is
        // what makes them safe together: of two writers of version n+1, the second conflicts.
        const { orgId, kind, version } = t.trustDocuments;
        if (doc.version !== next || !(await run.insert('trustDocuments', doc, [orgId, kind, version]))) {
          throw new IsotypError(
            'ISOTYP_CONFLICT',
            `Version ${doc.version} of the ${doc.kind} document is not the next one.`,
            {
              hint: `Fetch the latest ${doc.kind} document and base the new version on it.`,
              details: { kind: doc.kind, version: doc.version, latestSeen: next - 1 },
            },
          );
        }
      },
      latest: (orgId, kind) => trustDoc(docs(orgId, kind)),
      get: (orgId, kind, version) => trustDoc(allOf(docs(orgId, kind), eq(t.trustDocuments.version, version))),
    },
    approverKeys: {
      create: async (key) => void (await run.insert('approverKeys', key)),
      get: (orgId, keyId) =>
        first(run.select('approverKeys', allOf(eq(t.approverKeys.orgId, orgId), eq(t.approverKeys.keyId, keyId)))),
      list: (orgId) =>
        run.select('approverKeys', eq(t.approverKeys.orgId, orgId), {
          orderBy: [asc(t.approverKeys.createdAt), asc(t.approverKeys.keyId)],
        }),
    },
  };
}

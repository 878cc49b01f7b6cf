import { z } from '@hono/zod-openapi';
import { changeStateSchema, manifestSchema, semverBumpSchema } from '@isotyp/protocol';
import type { ChangeRecord } from '../storage/store.js';

/** A change request as the API shows it (the stored submission envelope included, for agents to verify). */
export const changeSchema = z
  .object({
    id: z.string(),
    projectId: z.string(),
    environmentId: z.string(),
    targetId: z.string(),
    title: z.string(),
    state: changeStateSchema,
    fromDigest: z.string(),
    toDigest: z.string(),
    planDigest: z.string(),
    manifestDigest: z.string(),
    fromVersion: z.string(),
    toVersion: z.string(),
    bump: semverBumpSchema,
    manifest: manifestSchema,
    lint: z.array(z.unknown()),
    submission: z.unknown(),
    authorUserId: z.string(),
    authorKeyId: z.string(),
    policyVersion: z.number(),
    revision: z.number(),
    reason: z.string().optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
    approvals: z.array(z.unknown()).optional(),
    review: z.unknown().optional(),
  })
  .openapi('Change');

export type ChangeView = z.infer<typeof changeSchema>;

/** The stored record without its tenant column; manifest and lint were validated on submit. */
export function changeView({ orgId: _org, manifest, lint, ...rest }: ChangeRecord): ChangeView {
  return { ...rest, manifest: manifest as unknown as z.infer<typeof manifestSchema>, lint: lint as unknown[] };
}

/**
 * A change as lists show it: what a reviewer scans for (state, target, digests, versions, risk),
 * without what only a single change's page needs — the signed submission, the lint findings and
 * the manifest's object list and DDL. `GET /v1/changes/{id}` has the whole change.
 */
export const changeSummarySchema = changeSchema
  .omit({ manifest: true, lint: true, submission: true, approvals: true, review: true })
  .extend({
    manifest: manifestSchema.omit({ objects: true, ddl: true }),
    lintCount: z.number().int().nonnegative(),
  })
  .openapi('ChangeSummary');

export type ChangeSummary = z.infer<typeof changeSummarySchema>;

export function changeSummaryView(change: ChangeRecord): ChangeSummary {
  const { manifest, lint, submission: _submission, ...rest } = changeView(change);
  const { objects: _objects, ddl: _ddl, ...summary } = manifest;
  return { ...rest, manifest: summary, lintCount: lint.length };
}

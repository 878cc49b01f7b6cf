import { randomBytes } from 'node:crypto';
import {
  CHANGE_SUBMISSION_ENVELOPE_TYPE,
  changeManifestDigest,
  type Digest,
  digest,
  type Envelope,
  type Manifest,
  type PrivacyMode,
  sealEnvelope,
  signApproval,
} from '@isotyp/protocol';
import type { Person } from './live-control-plane.js';

export interface TargetRef {
  projectId: string;
  environmentId: string;
  targetId: string;
}

/** A plan's digests as `isotyp plan` would produce them (random schemas, a real digest shape). */
export function planDigests() {
  const from = digest('schema', { seed: randomBytes(8).toString('hex') });
  const to = digest('schema', { seed: randomBytes(8).toString('hex') });
  return { fromDigest: from, toDigest: to, planDigest: digest('plan', { from, to }) as Digest };
}

/** A manifest as the agent filters it for `mode`. */
export function manifestFor(mode: PrivacyMode, options: { dataLoss?: boolean } = {}): Manifest {
  const dataLoss = options.dataLoss ?? false;
  return {
    mode,
    opCount: 2,
    actions: dataLoss ? { 'add-column': 1, 'drop-column': 1 } : { 'add-column': 1, 'create-index': 1 },
    risk: dataLoss ? 'destructive' : 'safe',
    dataLoss,
    nonTransactional: false,
    ...(mode === 'digest'
      ? {}
      : { objects: [{ kind: 'column', namespace: null, name: 'Album.Year', action: 'add-column' }] }),
    ...(mode === 'full' ? { ddl: ['ALTER TABLE "Album" ADD COLUMN "Year" INTEGER'] } : {}),
  } as Manifest;
}

/** The body of POST /v1/changes, signed by `author`. */
export function submissionBody(
  author: Person,
  target: TargetRef,
  options: {
    mode?: PrivacyMode;
    dataLoss?: boolean;
    bump?: 'major' | 'minor' | 'patch' | 'none';
    fromDigest?: string;
    draft?: boolean;
  } = {},
) {
  const manifest = manifestFor(options.mode ?? 'structure', options);
  const digests = planDigests();
  const payload = {
    project: target.projectId,
    environment: target.environmentId,
    target: target.targetId,
    fromDigest: options.fromDigest ?? digests.fromDigest,
    toDigest: digests.toDigest,
    planDigest: digests.planDigest,
    manifestDigest: changeManifestDigest(manifest, []),
    bump: options.bump ?? 'minor',
    title: 'Add Album.Year',
  };
  const submission = sealEnvelope({ type: CHANGE_SUBMISSION_ENVELOPE_TYPE, payload, secretKey: author.key.secretKey });
  return { submission, manifest, lint: [], ...(options.draft ? { draft: true } : {}) };
}

/** An approval (or rejection) of `change` for `layer`, signed by `person`. */
export function approvalOf(
  person: Person,
  change: { id: string; targetId: string; planDigest: string; policyVersion: number },
  layer: string,
  options: { decision?: 'approve' | 'reject'; expiresInMs?: number; policyVersion?: number } = {},
): Envelope {
  return signApproval(
    {
      changeId: change.id,
      targetId: change.targetId,
      planDigest: change.planDigest,
      policyVersion: options.policyVersion ?? change.policyVersion,
      layer,
      decision: options.decision ?? 'approve',
      expiresAt: new Date(Date.now() + (options.expiresInMs ?? 3600_000)).toISOString(),
    },
    person.key.secretKey,
  ) as unknown as Envelope;
}

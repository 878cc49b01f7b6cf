import { expect } from 'vitest';
import type { AuditEntryRecord, ChangeRecord, Store } from '../store.js';

/** A fixed clock: `at(0)` is the epoch of every test, `at(90)` a minute and a half later. */
export function at(seconds: number): string {
  return new Date(Date.UTC(2026, 0, 1) + seconds * 1000).toISOString();
}

export interface Seed {
  orgId: string;
  userId: string;
  projectId: string;
  environmentId: string;
  targetId: string;
}

/** An organisation with one user, project, environment and target, ids prefixed by `org`. */
export async function seedOrg(store: Store, org = 'acme'): Promise<Seed> {
  const seed = {
    orgId: `org_${org}`,
    userId: `usr_${org}`,
    projectId: `prj_${org}`,
    environmentId: `env_${org}`,
    targetId: `tgt_${org}`,
  };
  await store.orgs.create({ id: seed.orgId, name: org, createdAt: at(0) });
  await store.users.create({
    id: seed.userId,
    orgId: seed.orgId,
    email: `ada@${org}.test`,
    displayName: 'Ada',
    disabled: false,
    createdAt: at(1),
  });
  await store.projects.create({ id: seed.projectId, orgId: seed.orgId, name: 'billing', createdAt: at(2) });
  await store.environments.create({
    id: seed.environmentId,
    orgId: seed.orgId,
    projectId: seed.projectId,
    name: 'prod',
    privacyMode: 'structure',
    createdAt: at(3),
  });
  await store.targets.create({
    id: seed.targetId,
    orgId: seed.orgId,
    projectId: seed.projectId,
    environmentId: seed.environmentId,
    name: 'main-db',
    dialect: 'postgres',
    updatedAt: at(4),
    createdAt: at(4),
  });
  return seed;
}

/** JSON that a careless store would not give back unchanged: key order, escapes, big and small numbers. */
export const awkwardJson = {
  z: 1,
  a: [true, false, null, 0.1, -2.5e-7, 9007199254740991],
  nul: 'x\u0000y',
  text: 'é "quoted" \\ back\nline 😀',
  nested: { b: {}, a: [] },
};

export function changeRecord(seed: Seed, id: string, overrides: Partial<ChangeRecord> = {}): ChangeRecord {
  return {
    id,
    orgId: seed.orgId,
    projectId: seed.projectId,
    environmentId: seed.environmentId,
    targetId: seed.targetId,
    title: `change ${id}`,
    state: 'submitted',
    fromDigest: `sha256:${'a'.repeat(64)}`,
    toDigest: `sha256:${'b'.repeat(64)}`,
    planDigest: `sha256:${'c'.repeat(64)}`,
    manifestDigest: `sha256:${'d'.repeat(64)}`,
    fromVersion: '1.0.0',
    toVersion: '1.1.0',
    bump: 'minor',
    manifest: awkwardJson,
    lint: [{ rule: 'destructive/drop-column', severity: 'warning' }],
    submission: { v: 1, type: 'isotyp.submission', payload: { id } },
    authorUserId: seed.userId,
    authorKeyId: 'key_author',
    policyVersion: 1,
    revision: 1,
    createdAt: at(10),
    updatedAt: at(10),
    ...overrides,
  };
}

/** An audit entry builder for `append`, recording the seq it was offered. */
export function auditEntry(orgId: string, action: string, entityId: string): (seq: number) => AuditEntryRecord {
  return (seq) => ({
    seq,
    orgId,
    time: at(seq),
    action,
    entityKind: 'change',
    entityId,
    entry: JSON.stringify({ seq, action, entityId }),
    leafHash: seq.toString(16).padStart(64, '0'),
  });
}

/** Asserts that `promise` rejects with an IsotypError of `code` and returns it. */
export async function rejectsWith(promise: Promise<unknown>, code: string): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toMatchObject({ name: 'IsotypError', code });
  return error as Error;
}

/** Runs `n` copies of `task` at once, so they really race (no await between the starts). */
export function race<T>(n: number, task: (i: number) => Promise<T>): Promise<PromiseSettledResult<T>[]> {
  return Promise.allSettled(Array.from({ length: n }, (_, i) => task(i)));
}

/** Everything of an error a user or a log line sees: message, hint, details, and the cause's message. */
export function visible(error: Error): string {
  const { hint, details } = error as { hint?: unknown; details?: unknown };
  return JSON.stringify([
    error.message,
    hint,
    details,
    error.cause instanceof Error ? error.cause.message : error.cause,
  ]);
}

/**
 * `store.stamp(tables)` once no notification of an earlier write is still on its way (PostgreSQL
 * sends them at commit, and they arrive a little later, also for this store's own writes).
 */
export async function quietStamp(store: Store, tables: Parameters<Store['stamp']>[0]): Promise<string> {
  let last = store.stamp(tables);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 150));
    const now = store.stamp(tables);
    if (now !== undefined && now === last) return now;
    last = now;
  }
}

import { describe, expect, it } from 'vitest';
import { digest } from '../digest.js';
import { toBase64Url } from '../encoding.js';
import { signingInput } from '../envelope.js';
import { generateKeyPair, sign } from '../signature.js';
import { codeOf } from '../test-support/code-of.js';
import { evaluateApprovals, signApproval } from './approvals.js';
import { changeFacts } from './facts.js';
import {
  approve,
  carolBrowser,
  change,
  context,
  dev,
  fullSet,
  hour,
  keyring,
  manifest,
  now,
  people,
  policy,
} from './test-support/fixtures.js';

const evaluate = (approvals: readonly unknown[], overrides: Partial<typeof context> = {}) =>
  evaluateApprovals({ ...context, ...overrides, approvals });
const layer = (result: ReturnType<typeof evaluate>, name: string) => result.layers.find((l) => l.name === name);

describe('evaluateApprovals', () => {
  it('approves when every applying layer has its quorum of distinct eligible people', () => {
    const result = evaluate(fullSet());
    expect(result.refused).toEqual([]);
    expect(result.status).toBe('approved');
    expect(result.layers).toEqual([
      {
        name: 'review',
        role: 'approver',
        applies: true,
        required: 1,
        approvedBy: ['erin'],
        rejectedBy: [],
        missing: 0,
      },
      { name: 'dba', role: 'dba', applies: true, required: 1, approvedBy: ['bob'], rejectedBy: [], missing: 0 },
      {
        name: 'prod',
        role: 'approver',
        applies: true,
        required: 2,
        approvedBy: ['carol', 'dave'],
        rejectedBy: [],
        missing: 0,
      },
    ]);
  });

  it('gives the same verdict whatever order the approvals arrive in', () => {
    const set = [...fullSet(), approve(people.erin, 'prod', {}, new Date(now.getTime() - 2 * hour))];
    const forward = evaluate(set);
    const backward = evaluate([...set].reverse());
    expect(backward.layers).toEqual(forward.layers);
    expect(backward.status).toBe(forward.status);
    // erin's earlier prod signature wins; her later review one is the second layer.
    expect(forward.refused).toEqual([{ index: 0, code: 'ISOTYP_SEPARATION_OF_DUTIES', reason: expect.any(String) }]);
    expect(backward.refused.map((r) => r.index)).toEqual([4]);
  });

  it('stays pending while a layer lacks approvals, and says how many', () => {
    const result = evaluate(fullSet().slice(0, 3));
    expect(result.status).toBe('pending');
    expect(layer(result, 'prod')).toMatchObject({ approvedBy: ['carol'], missing: 1 });
  });

  it('requires only the layers whose condition holds', () => {
    const calm = changeFacts({ ...manifest, dataLoss: false, risk: 'safe' }, [], 'minor');
    const result = evaluate([approve(people.erin, 'review'), approve(people.bob, 'dba')], {
      change: { ...change, facts: calm },
      environment: dev,
    });
    expect(result.layers.map((l) => [l.name, l.applies, l.missing])).toEqual([
      ['review', true, 0],
      ['dba', false, 0],
      ['prod', false, 0],
    ]);
    expect(result.refused).toEqual([
      { index: 1, code: 'ISOTYP_APPROVAL_INVALID', reason: expect.stringMatching(/does not apply/) },
    ]);
    expect(result.status).toBe('approved');
  });

  it.each([
    ['changeId', { changeId: 'chg_other' }],
    ['targetId', { targetId: 'tgt_other' }],
    ['planDigest', { planDigest: digest('plan', { ops: ['DROP TABLE orders'] }) }],
    ['policyVersion', { policyVersion: 2 }],
  ])('refuses an approval replayed from another %s', (field, override) => {
    const set = fullSet();
    set[3] = approve(people.dave, 'prod', override);
    const result = evaluate(set);
    expect(result.refused).toEqual([
      { index: 3, code: 'ISOTYP_APPROVAL_INVALID', reason: expect.stringContaining(field) },
    ]);
    expect(result.status).toBe('pending');
  });

  it('refuses a layer the policy does not have', () => {
    const result = evaluate([approve(people.dave, 'security')]);
    expect(result.refused).toEqual([
      { index: 0, code: 'ISOTYP_APPROVAL_INVALID', reason: expect.stringMatching(/no layer/) },
    ]);
  });

  it('refuses an expired approval', () => {
    const set = fullSet();
    set[1] = approve(
      people.bob,
      'dba',
      { expiresAt: new Date(now.getTime() - 1000).toISOString() },
      new Date(now.getTime() - 5 * hour),
    );
    const result = evaluate(set);
    expect(result.refused.map((r) => [r.index, r.code])).toEqual([[1, 'ISOTYP_APPROVAL_EXPIRED']]);
    expect(result.status).toBe('pending');
  });

  it('refuses an approval valid for longer than the policy allows, and accepts exactly the maximum', () => {
    const created = new Date(now.getTime() - hour);
    const limit = created.getTime() + (policy.maxApprovalSeconds ?? 0) * 1000;
    const tooLong = approve(people.bob, 'dba', { expiresAt: new Date(limit + 1000).toISOString() }, created);
    const justRight = approve(people.bob, 'dba', { expiresAt: new Date(limit).toISOString() }, created);
    expect(evaluate([tooLong]).refused.map((r) => r.code)).toEqual(['ISOTYP_APPROVAL_INVALID']);
    expect(evaluate([justRight]).refused).toEqual([]);
    const { maxApprovalSeconds: _, ...sevenDays } = policy;
    const eightDays = approve(people.bob, 'dba', { expiresAt: new Date(now.getTime() + 8 * 24 * hour).toISOString() });
    expect(evaluate([eightDays], { policy: sevenDays }).refused.map((r) => r.code)).toEqual([
      'ISOTYP_APPROVAL_INVALID',
    ]);
  });

  it('refuses an approval dated in the future, which would stretch its lifetime', () => {
    const later = new Date(now.getTime() + 24 * hour);
    const future = approve(people.bob, 'dba', { expiresAt: new Date(later.getTime() + hour).toISOString() }, later);
    expect(evaluate([future]).refused).toEqual([
      { index: 0, code: 'ISOTYP_APPROVAL_INVALID', reason: expect.stringMatching(/future/) },
    ]);
  });

  it('refuses an approval whose signed createdAt is not a real time (the envelope check catches it)', () => {
    const { sig: _, ...unsigned } = approve(people.bob, 'dba', { expiresAt: '9999-01-01T00:00:00Z' });
    const envelope = { ...unsigned, createdAt: '2026-13-01T00:00:00Z' };
    const signed = { ...envelope, sig: toBase64Url(sign(signingInput(envelope), people.bob.keys.secretKey)) };
    expect(evaluate([signed]).refused.map((r) => r.code)).toEqual(['ISOTYP_INVALID_INPUT']);
  });

  it('refuses the author approving their own change', () => {
    const set = fullSet();
    set[0] = approve(people.alice, 'review');
    const result = evaluate(set);
    expect(result.refused.map((r) => [r.index, r.code])).toEqual([[0, 'ISOTYP_SEPARATION_OF_DUTIES']]);
    expect(result.status).toBe('pending');
  });

  it('lets one person sign one layer only', () => {
    const set = [...fullSet().slice(1), approve(people.erin, 'review'), approve(people.erin, 'dba', {}, now)];
    const result = evaluate(set);
    expect(result.refused.map((r) => [r.index, r.code])).toEqual([[4, 'ISOTYP_SEPARATION_OF_DUTIES']]);
    expect(layer(result, 'dba')?.approvedBy).toEqual(['bob']);
  });

  it('refuses a signer whose keyring roles lack the layer role', () => {
    const set = fullSet();
    set[1] = approve(people.carol, 'dba');
    const result = evaluate(set);
    expect(result.refused).toEqual([
      { index: 1, code: 'ISOTYP_APPROVAL_INVALID', reason: expect.stringMatching(/role dba/) },
    ]);
    expect(result.status).toBe('pending');
  });

  it('refuses a key that is not in the keyring', () => {
    const stranger = { userId: 'mallory', keys: generateKeyPair(), roles: [] };
    const result = evaluate([...fullSet().slice(0, 3), approve(stranger, 'prod')]);
    expect(result.refused.map((r) => [r.index, r.code])).toEqual([[3, 'ISOTYP_KEY_UNKNOWN']]);
    expect(result.status).toBe('pending');
  });

  it('refuses a payload altered after signing', () => {
    const set: unknown[] = fullSet();
    const forged = approve(people.dave, 'prod');
    set[3] = { ...forged, payload: { ...forged.payload, changeId: 'chg_other' } };
    set.push({ ...forged, payload: { ...forged.payload, decision: 'reject' } });
    const result = evaluate(set);
    expect(result.refused.map((r) => [r.index, r.code])).toEqual([
      [3, 'ISOTYP_SIGNATURE_INVALID'],
      [4, 'ISOTYP_SIGNATURE_INVALID'],
    ]);
    expect(result.status).toBe('pending');
  });

  it('counts a nonce once, even re-wrapped in another envelope', () => {
    const set = fullSet();
    const copy = { ...set[3] };
    const sameNonce = approve(people.dave, 'prod', { nonce: set[2]?.payload.nonce as string }, now);
    const result = evaluate([...set, copy, sameNonce]);
    expect(result.refused.map((r) => [r.index, r.code])).toEqual([
      [4, 'ISOTYP_APPROVAL_REPLAYED'],
      [5, 'ISOTYP_APPROVAL_REPLAYED'],
    ]);
    expect(layer(result, 'prod')?.approvedBy).toEqual(['carol', 'dave']);
  });

  it('counts distinct people, not signatures or keys', () => {
    const set = [...fullSet().slice(0, 3), approve(people.carol, 'prod', {}, now), approve(carolBrowser, 'prod')];
    const result = evaluate(set);
    expect(result.refused).toEqual([]);
    expect(layer(result, 'prod')).toMatchObject({ approvedBy: ['carol'], missing: 1 });
    expect(result.status).toBe('pending');
  });

  it('is rejected when an eligible signer rejects, however many approve', () => {
    const result = evaluate([...fullSet(), approve(people.erin, 'review', { decision: 'reject' }, now)]);
    expect(result.status).toBe('rejected');
    expect(layer(result, 'review')?.rejectedBy).toEqual(['erin']);
  });

  it('ignores a rejection from someone not eligible for the layer', () => {
    const result = evaluate([...fullSet(), approve(people.vic, 'review', { decision: 'reject' })]);
    expect(result.refused.map((r) => r.code)).toEqual(['ISOTYP_APPROVAL_INVALID']);
    expect(result.status).toBe('approved');
  });

  it('refuses a policy and keyring of different organisations, and an invalid clock', () => {
    expect(codeOf(() => evaluate(fullSet(), { keyring: { ...keyring, org: 'globex' } }))).toBe('ISOTYP_INVALID_INPUT');
    expect(codeOf(() => evaluate(fullSet(), { now: new Date(Number.NaN) }))).toBe('ISOTYP_INVALID_INPUT');
  });
});

describe('signApproval', () => {
  it('fills in a fresh nonce and refuses a malformed payload', () => {
    const draft = { changeId: 'c1', targetId: 't1', planDigest: change.planDigest, policyVersion: 3, layer: 'dba' };
    const base = { ...draft, decision: 'approve' as const, expiresAt: now.toISOString() };
    const a = signApproval(base, people.bob.keys.secretKey);
    const b = signApproval(base, people.bob.keys.secretKey);
    expect(a.type).toBe('isotyp.approval');
    expect(a.payload.nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(a.payload.nonce).not.toBe(b.payload.nonce);
    expect(codeOf(() => signApproval({ ...base, layer: 'Not A Layer' }, people.bob.keys.secretKey))).toBe(
      'ISOTYP_INVALID_INPUT',
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { digest } from '../digest.js';
import { encodeEnvelope } from '../envelope.js';
import { codeOf } from '../test-support/code-of.js';
import { checkApproval, evaluateApprovals } from './approvals.js';
import { changeFacts } from './facts.js';
import { approve, change, context, fullSet, hour, manifest, now, people, policy } from './test-support/fixtures.js';

const check = (approval: unknown, accepted: readonly unknown[] = []) =>
  checkApproval({ ...context, approval, accepted });

describe('checkApproval (one approval on receipt)', () => {
  it('accepts a valid approval and says who signed what', () => {
    const approval = approve(people.bob, 'dba');
    expect(check(encodeEnvelope(approval))).toEqual({
      id: expect.stringMatching(/^sha256:/),
      keyId: approval.signer,
      userId: 'bob',
      layer: 'dba',
      decision: 'approve',
      expiresAt: approval.payload.expiresAt,
      nonce: approval.payload.nonce,
    });
  });

  it('judges against what was already accepted: replays and second layers are refused', () => {
    const accepted = fullSet();
    expect(codeOf(() => check(accepted[1], accepted))).toBe('ISOTYP_APPROVAL_REPLAYED');
    expect(codeOf(() => check(approve(people.erin, 'dba', {}, now), accepted))).toBe('ISOTYP_SEPARATION_OF_DUTIES');
    expect(codeOf(() => check(approve(people.erin, 'dba', {}, now)))).toBe(undefined);
  });

  it('lets an expired approval hold no layer, as evaluateApprovals does', () => {
    const expiresAt = new Date(now.getTime() - 1).toISOString();
    const stale = approve(people.erin, 'dba', { expiresAt }, new Date(now.getTime() - 5 * hour));
    const fresh = approve(people.erin, 'review', {}, now);
    expect(check(fresh, [stale]).layer).toBe('review');
    expect(evaluateApprovals({ ...context, approvals: [stale, fresh] }).accepted.map((a) => a.layer)).toEqual([
      'review',
    ]);
  });

  it('throws the code of the rule an approval breaks', () => {
    expect(codeOf(() => check(approve(people.alice, 'review')))).toBe('ISOTYP_SEPARATION_OF_DUTIES');
    expect(codeOf(() => check(approve(people.carol, 'dba')))).toBe('ISOTYP_APPROVAL_INVALID');
    expect(codeOf(() => check(approve(people.bob, 'dba', { changeId: 'chg_x' })))).toBe('ISOTYP_APPROVAL_INVALID');
    expect(codeOf(() => check({ not: 'an envelope' }))).toBe('ISOTYP_INVALID_INPUT');
    expect(codeOf(() => check(`${encodeEnvelope(approve(people.bob, 'dba'))} `))).toBe('ISOTYP_NOT_CANONICAL');
  });

  it('accepting one by one and evaluating the whole set agree', () => {
    const accepted: unknown[] = [];
    for (const approval of fullSet()) {
      check(approval, accepted);
      accepted.push(approval);
    }
    expect(evaluateApprovals({ ...context, approvals: accepted }).status).toBe('approved');
  });
});

describe('an approval binds every field it signs', () => {
  const idArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,24}$/);
  const mutation = fc.oneof(
    idArb.filter((v) => v !== change.changeId).map((changeId) => ({ changeId })),
    idArb.filter((v) => v !== change.targetId).map((targetId) => ({ targetId })),
    fc.string().map((s) => ({ planDigest: digest('plan', { s }) })),
    fc
      .integer({ min: 1, max: 1_000_000 })
      .filter((v) => v !== policy.version)
      .map((policyVersion) => ({ policyVersion })),
    fc
      .oneof(fc.constantFrom('review', 'dba'), fc.stringMatching(/^[a-z][a-z0-9_-]{0,12}$/))
      .filter((v) => v !== 'prod')
      .map((layer) => ({ layer })),
  );

  it('a change to any one of changeId, targetId, planDigest, policyVersion or layer stops it counting', () => {
    fc.assert(
      fc.property(mutation, (override) => {
        const set = fullSet();
        set[3] = approve(people.dave, 'prod', override);
        const result = evaluateApprovals({ ...context, approvals: set });
        expect(result.status).toBe('pending');
        expect(result.layers.find((l) => l.name === 'prod')?.approvedBy).not.toContain('dave');
      }),
      { numRuns: 60 },
    );
  });
});

describe('layer conditions fail closed', () => {
  it('requires a layer whose condition cannot be evaluated, and reports why', () => {
    const guarded = {
      ...policy,
      layers: [
        ...policy.layers.slice(0, 2),
        { name: 'tables', when: 'change.objects.exists(o, o.kind == "table")', required: 1, role: 'dba' as const },
      ],
    };
    const { objects: _names, ...counts } = manifest;
    const digestOnly = changeFacts({ ...counts, mode: 'digest' }, [], 'major');
    const result = evaluateApprovals({
      ...context,
      policy: guarded,
      change: { ...change, facts: digestOnly },
      approvals: fullSet().slice(0, 2),
    });
    expect(result.layers[2]).toMatchObject({ name: 'tables', applies: true, missing: 1 });
    expect(result.layers[2]?.conditionError).toMatch(/objects/);
    expect(result.status).toBe('pending');
    // The same policy on a change that names no table: the layer is decided and does not apply.
    const named = evaluateApprovals({ ...context, policy: guarded, approvals: fullSet().slice(0, 2) });
    expect(named.layers[2]).toMatchObject({ applies: false, missing: 0 });
    expect(named.status).toBe('approved');
  });

  it('refuses to evaluate under a policy whose condition does not compile', () => {
    const broken = {
      ...policy,
      layers: [{ name: 'dba', when: 'change.dataLoss ||', required: 1, role: 'dba' as const }],
    };
    expect(codeOf(() => evaluateApprovals({ ...context, policy: broken, approvals: [] }))).toBe(
      'ISOTYP_POLICY_INVALID',
    );
  });
});

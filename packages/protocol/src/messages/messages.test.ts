import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalize } from '../canonical-json.js';
import { digest } from '../digest.js';
import { verifyEnvelope } from '../envelope.js';
import { generateKeyPair, keyId } from '../signature.js';
import { AGENT_IDENTITY_ENVELOPE_TYPE, agentIdentitySchema, enrolmentDigest, sealAgentIdentity } from './agent.js';
import { approvalPayloadSchema } from './approval.js';
import { changeRequestSchema, type Manifest } from './change-request.js';
import { checkpointSchema } from './checkpoint.js';
import { type PlanBody, planDigest, planSchema } from './plan.js';
import { type SchemaModel, schemaModelSchema } from './schema-model.js';

const model: SchemaModel = {
  v: 1,
  dialect: 'sqlite',
  namespaces: [
    {
      name: 'main',
      tables: [
        {
          name: 'Artist',
          columns: [
            {
              name: 'ArtistId',
              type: 'INTEGER',
              nullable: false,
              default: null,
              identity: null,
              generated: null,
              collation: null,
              comment: null,
            },
            {
              name: 'Name',
              type: 'NVARCHAR(120)',
              nullable: true,
              default: null,
              identity: null,
              generated: null,
              collation: null,
              comment: null,
            },
          ],
          primaryKey: { name: 'PK_Artist', columns: ['ArtistId'] },
          uniques: [],
          indexes: [],
          foreignKeys: [],
          checks: [],
          options: {},
          comment: null,
        },
      ],
      views: [],
      enums: [],
      domains: [],
      sequences: [],
      routines: [],
      triggers: [],
      comment: null,
    },
  ],
};

const body: PlanBody = {
  v: 1,
  dialect: 'sqlite',
  fromDigest: digest('schema', model),
  toDigest: digest('schema', { ...model, namespaces: [] }),
  ops: [
    {
      action: 'drop-table',
      object: { kind: 'table', namespace: 'main', name: 'Artist' },
      up: ['DROP TABLE "Artist"'],
      down: null,
      irreversibleReason: 'dropping a table discards its rows',
      risk: 'destructive',
      lock: 'exclusive',
      dataLoss: true,
      transactional: true,
    },
  ],
};

describe('message schemas', () => {
  it('accept a schema model and refuse unknown fields', () => {
    expect(schemaModelSchema.parse(model)).toEqual(model);
    const extra = { ...model, namespaces: [{ ...model.namespaces[0], secret: 'x' }] };
    expect(schemaModelSchema.safeParse(extra).success).toBe(false);
    expect(schemaModelSchema.safeParse({ ...model, dialect: 'oracle' }).success).toBe(false);
  });

  it('bind the plan digest to the exact statements', () => {
    const plan = { ...body, planDigest: planDigest(body) };
    expect(planSchema.parse(plan)).toEqual(plan);
    const edited = { ...body, ops: [{ ...(body.ops[0] as PlanBody['ops'][number]), up: ['DROP TABLE "Album"'] }] };
    expect(planDigest(edited)).not.toBe(plan.planDigest);
    expect(planDigest(JSON.parse(canonicalize(body)) as PlanBody)).toBe(plan.planDigest);
  });

  it('require a reason exactly for irreversible operations', () => {
    const op = body.ops[0] as PlanBody['ops'][number];
    const bad = { ...body, ops: [{ ...op, irreversibleReason: null }], planDigest: planDigest(body) };
    expect(planSchema.safeParse(bad).success).toBe(false);
  });

  it('validate change requests, approvals and checkpoints', () => {
    const manifest: Manifest = {
      mode: 'digest',
      opCount: 1,
      actions: { 'drop-table': 1 },
      risk: 'destructive',
      dataLoss: true,
      nonTransactional: false,
    };
    const now = new Date().toISOString();
    const change = {
      id: 'chg_1',
      project: 'billing',
      environment: 'prod',
      target: 'chinook',
      fromDigest: body.fromDigest,
      toDigest: body.toDigest,
      planDigest: planDigest(body),
      manifestDigest: digest('manifest', manifest),
      fromVersion: '1.4.0',
      toVersion: '2.0.0',
      bump: 'major',
      manifest,
      lint: [{ rule: 'destructive/drop-table', severity: 'error' }],
      author: keyId(generateKeyPair().publicKey),
      title: 'Drop Artist',
      state: 'submitted',
      createdAt: now,
      updatedAt: now,
    };
    expect(changeRequestSchema.parse(change)).toEqual(change);
    expect(changeRequestSchema.safeParse({ ...change, state: 'merged' }).success).toBe(false);
    expect(changeRequestSchema.safeParse({ ...change, fromVersion: '1.4' }).success).toBe(false);

    const approval = {
      changeId: 'chg_1',
      targetId: 'chinook',
      planDigest: planDigest(body),
      policyVersion: 3,
      layer: 'dba-review',
      decision: 'approve',
      expiresAt: now,
      nonce: 'AAECAwQFBgcICQoLDA0ODw',
    };
    expect(approvalPayloadSchema.parse(approval)).toEqual(approval);
    expect(approvalPayloadSchema.safeParse({ ...approval, layer: 'DBA review' }).success).toBe(false);
    expect(approvalPayloadSchema.safeParse({ ...approval, policyVersion: 0 }).success).toBe(false);
    expect(approvalPayloadSchema.safeParse({ ...approval, nonce: 'short' }).success).toBe(false);
    expect(approvalPayloadSchema.safeParse({ ...approval, target: 'other' }).success).toBe(false);
    expect(approvalPayloadSchema.safeParse({ ...approval, planDigest: 'sha256:xyz' }).success).toBe(false);
    expect(approvalPayloadSchema.safeParse({ ...approval, expiresAt: '2026-01-01T00:00:00+02:00' }).success).toBe(
      false,
    );

    const checkpoint = { origin: 'isotyp.test/agent/a1', size: 8, root: Buffer.alloc(32, 7).toString('base64') };
    expect(checkpointSchema.parse(checkpoint)).toEqual(checkpoint);
    expect(checkpointSchema.safeParse({ ...checkpoint, origin: 'a\nb' }).success).toBe(false);
    expect(checkpointSchema.safeParse({ ...checkpoint, size: -1 }).success).toBe(false);
  });
});

describe('sealAgentIdentity', () => {
  it('proves the identity key with its own signature and binds it to the enrolment token', () => {
    const identity = generateKeyPair();
    const token = 'isotyp_enrol_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const proof = sealAgentIdentity(token, identity);
    const opened = verifyEnvelope(proof, {
      type: AGENT_IDENTITY_ENVELOPE_TYPE,
      keys: new Map([[keyId(identity.publicKey), identity.publicKey]]),
      payload: agentIdentitySchema,
    });
    expect(opened.payload.keyId).toBe(keyId(identity.publicKey));
    // The token's SHA-256 as any other implementation computes it (Node's, here).
    expect(opened.payload.enrolment).toBe(`sha256:${createHash('sha256').update(token).digest('hex')}`);
    expect(enrolmentDigest(token)).toBe(opened.payload.enrolment);
    expect(enrolmentDigest(`${token}x`)).not.toBe(opened.payload.enrolment);
  });
});

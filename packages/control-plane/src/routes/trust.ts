import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import {
  type Envelope,
  IsotypError,
  type JsonValue,
  KEY_REGISTRATION_ENVELOPE_TYPE,
  keyRegistrationSchema,
  ORG_ROOT_ENVELOPE_TYPE,
  openKeyring,
  openPolicy,
  orgRootSchema,
  validatePolicy,
} from '@isotyp/protocol';
import { type AppDeps, createRouter } from '../app.js';
import { appendAudit } from '../audit/audit-log.js';
import type { AppEnv } from '../context.js';
import type { TrustDocumentKind } from '../storage/store.js';
import { openSelfSigned, orgRoot } from '../trust/trust-documents.js';
import { actorOf, allow, authErrors, errorResponse, jsonBody, jsonResponse } from './route-kit.js';

const envelopeBody = z.strictObject({ envelope: z.record(z.string(), z.unknown()) });
const trustDocument = z
  .object({
    kind: z.enum(['root', 'keyring', 'policy']),
    version: z.number(),
    document: z.unknown(),
    createdAt: z.string(),
  })
  .openapi('TrustDocument');

/**
 * The organisation's trust documents. The control plane verifies every document before
 * storing it — the root's self-signature (proof that the uploader holds the key), and the root's
 * signature on each keyring and policy — and serves them to agents, which verify them again.
 */
export function trustRoutes(deps: AppDeps): OpenAPIHono<AppEnv> {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());
  const app = createRouter();

  const put = async (orgId: string, actor: string, kind: TrustDocumentKind, version: number, envelope: Envelope) => {
    const latest = await store.trust.latest(orgId, kind);
    const expected = (latest?.version ?? 0) + 1;
    if (version !== expected) {
      throw new IsotypError('ISOTYP_CONFLICT', `This ${kind} is version ${version}; the next version is ${expected}.`, {
        hint: `Fetch the current ${kind}, edit it, bump its version by one and sign again.`,
        details: { expected, got: version },
      });
    }
    const createdAt = now().toISOString();
    await store.trust.put({
      orgId,
      kind,
      version,
      document: envelope as unknown as JsonValue,
      createdBy: actor,
      createdAt,
    });
    await appendAudit(
      store,
      {
        orgId,
        actor,
        action: `trust.${kind}.put`,
        entity: { kind: `trust-${kind}`, id: `${orgId}:${version}` },
        details: envelope as unknown as JsonValue,
      },
      now(),
    );
    return { kind, version, document: envelope, createdAt };
  };

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/trust/root',
      tags: ['trust'],
      summary: 'Register the org root key (once), as an envelope the key signs itself.',
      request: { body: jsonBody(envelopeBody) },
      responses: { 201: jsonResponse(trustDocument, 'Stored.'), ...authErrors, 409: errorResponse },
    }),
    async (c) => {
      const principal = allow(c, 'trust:write');
      const raw = c.req.valid('json').envelope;
      const root = openSelfSigned(raw, ORG_ROOT_ENVELOPE_TYPE, orgRootSchema, '{org, keyId, publicKey}');
      if (root.org !== principal.orgId) {
        throw new IsotypError('ISOTYP_INVALID_INPUT', 'The root key names another organisation.', {
          details: { org: root.org },
        });
      }
      if ((await store.trust.latest(principal.orgId, 'root')) !== undefined) {
        throw new IsotypError('ISOTYP_CONFLICT', 'This organisation already has a root key.', {
          hint: 'Rotating the root key is not supported yet; agents are pinned to it at enrolment.',
        });
      }
      return c.json(await put(principal.orgId, actorOf(principal), 'root', 1, raw as unknown as Envelope), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/trust/keyring',
      tags: ['trust'],
      summary: 'Publish the next approver keyring, signed by the org root key.',
      request: { body: jsonBody(envelopeBody) },
      responses: { 201: jsonResponse(trustDocument, 'Stored.'), ...authErrors, 409: errorResponse },
    }),
    async (c) => {
      const principal = allow(c, 'trust:write');
      const root = await orgRoot(store, principal.orgId);
      const envelope = c.req.valid('json').envelope as unknown as Envelope;
      const payload = openKeyring(envelope, root);
      for (const entry of payload.keys) {
        const key = await store.approverKeys.get(principal.orgId, entry.keyId);
        if (
          key === undefined ||
          key.userId !== entry.userId ||
          key.publicKey !== entry.publicKey ||
          key.revokedAt !== undefined
        ) {
          throw new IsotypError('ISOTYP_KEY_UNKNOWN', `Key ${entry.keyId} is not registered to user ${entry.userId}.`, {
            hint: 'Each approver runs isotyp keys generate first; the keyring may only name registered keys.',
            details: { keyId: entry.keyId, userId: entry.userId },
          });
        }
      }
      return c.json(await put(principal.orgId, actorOf(principal), 'keyring', payload.version, envelope), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/trust/policy',
      tags: ['trust'],
      summary: 'Publish the next approval policy, signed by the org root key.',
      request: { body: jsonBody(envelopeBody) },
      responses: { 201: jsonResponse(trustDocument, 'Stored.'), ...authErrors, 409: errorResponse },
    }),
    async (c) => {
      const principal = allow(c, 'trust:write');
      const root = await orgRoot(store, principal.orgId);
      const envelope = c.req.valid('json').envelope as unknown as Envelope;
      const payload = openPolicy(envelope, root);
      validatePolicy(payload);
      return c.json(await put(principal.orgId, actorOf(principal), 'policy', payload.version, envelope), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/trust/{kind}',
      tags: ['trust'],
      request: {
        params: z.object({ kind: z.enum(['root', 'keyring', 'policy']) }),
        query: z.object({ version: z.coerce.number().int().min(1).optional() }),
      },
      responses: { 200: jsonResponse(trustDocument, 'The latest (or the asked) version.'), ...authErrors },
    }),
    async (c) => {
      const principal = allow(c, 'trust:read', undefined, true);
      const { kind } = c.req.valid('param');
      const { version } = c.req.valid('query');
      const doc =
        version === undefined
          ? await store.trust.latest(principal.orgId, kind)
          : await store.trust.get(principal.orgId, kind, version);
      if (doc === undefined) {
        throw new IsotypError(
          'ISOTYP_NOT_FOUND',
          `No ${kind}${version === undefined ? '' : ` version ${version}`} in your organisation.`,
          {
            hint: 'An admin publishes it with isotyp org init.',
          },
        );
      }
      return c.json({ kind, version: doc.version, document: doc.document, createdAt: doc.createdAt }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/keys',
      tags: ['trust'],
      summary: 'Register your approver public key, as an envelope the key signs itself.',
      request: { body: jsonBody(envelopeBody) },
      responses: {
        201: jsonResponse(z.object({ keyId: z.string(), userId: z.string(), createdAt: z.string() }), 'Registered.'),
        ...authErrors,
        409: errorResponse,
      },
    }),
    async (c) => {
      const principal = allow(c, 'keys:register', undefined, true);
      if (principal.kind !== 'user') {
        throw new IsotypError('ISOTYP_FORBIDDEN', 'Only people register approver keys.', {
          hint: 'Sign in with isotyp login.',
        });
      }
      const raw = c.req.valid('json').envelope;
      const registration = openSelfSigned(
        raw,
        KEY_REGISTRATION_ENVELOPE_TYPE,
        keyRegistrationSchema,
        '{org, userId, keyId, publicKey}',
      );
      if (registration.org !== principal.orgId || registration.userId !== principal.userId) {
        throw new IsotypError('ISOTYP_INVALID_INPUT', 'The key registration names another user or organisation.');
      }
      const createdAt = now().toISOString();
      await store.approverKeys.create({
        keyId: registration.keyId,
        orgId: principal.orgId,
        userId: principal.userId,
        publicKey: registration.publicKey,
        createdAt,
      });
      await appendAudit(
        store,
        {
          orgId: principal.orgId,
          actor: actorOf(principal),
          action: 'key.register',
          entity: { kind: 'key', id: registration.keyId },
        },
        now(),
      );
      return c.json({ keyId: registration.keyId, userId: principal.userId, createdAt }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/keys',
      tags: ['trust'],
      responses: {
        200: jsonResponse(
          z.object({
            keys: z.array(
              z.object({
                keyId: z.string(),
                userId: z.string(),
                publicKey: z.string(),
                createdAt: z.string(),
                revokedAt: z.string().optional(),
              }),
            ),
          }),
          'Registered approver keys.',
        ),
        ...authErrors,
      },
    }),
    async (c) => {
      const principal = allow(c, 'trust:read', undefined, true);
      const keys = await store.approverKeys.list(principal.orgId);
      return c.json({ keys: keys.map(({ orgId: _o, ...k }) => k) }, 200);
    },
  );

  return app;
}

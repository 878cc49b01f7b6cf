import { randomBytes } from 'node:crypto';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import {
  AGENT_IDENTITY_ENVELOPE_TYPE,
  agentIdentitySchema,
  ENROLMENT_TOKEN_PATTERN,
  type Envelope,
  enrolmentDigest,
  IsotypError,
} from '@isotyp/protocol';
import { CertificateAuthority, checkCertificateRequest } from '../agents/certificate-authority.js';
import type { AgentServices } from '../agents/services.js';
import { type AppDeps, createRouter } from '../app.js';
import { appendAudit } from '../audit/audit-log.js';
import type { AppEnv } from '../context.js';
import { objectId } from '../identity/schemas.js';
import { newId } from '../ids.js';
import type { AgentRecord } from '../storage/store.js';
import { openSelfSigned } from '../trust/trust-documents.js';
import { actorOf, allow, authErrors, errorResponse, found, jsonBody, jsonResponse } from './route-kit.js';

/** Enrolment tokens live at most this long. */
const MAX_TOKEN_MINUTES = 30;
const agentName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'lower-case letters, digits, . _ -; up to 63 characters');

/** An agent that has not been heard from for this long is flagged stale in the fleet view. */
export const STALE_AFTER_MS = 3 * 60 * 1000;

const agentView = z
  .object({
    id: z.string(),
    name: z.string(),
    identityKeyId: z.string(),
    certificateSerial: z.string(),
    certificateNotAfter: z.string(),
    createdAt: z.string(),
    revokedAt: z.string().optional(),
    lastSeenAt: z.string().optional(),
    version: z.string().optional(),
    report: z.unknown().optional(),
    stale: z.boolean().optional(),
  })
  .openapi('Agent');
const toAgentView = ({ orgId: _org, identityPublicKey: _key, ...rest }: AgentRecord) => rest;

/**
 * Agent enrolment and the fleet (the routes agents themselves call are in agent-link.ts): an admin makes a one-time token for a named agent (at most 30 minutes, stored
 * hashed); the agent redeems it once with a certificate request and a proof of its Ed25519
 * identity, and gets a client certificate from the CA bound to its id, the CA certificate to
 * pin and the org root to pin. Listing and revoking agents need an admin.
 */
export function agentRoutes(deps: AppDeps, services: AgentServices): OpenAPIHono<AppEnv> {
  const { store, config } = deps;
  const now = deps.now ?? (() => new Date());
  const app = createRouter();
  const { heartbeats, passphrase, trust, ca } = services;

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/agents/enrolment-tokens',
      tags: ['agents'],
      summary: 'Make a one-time enrolment token for an agent (shown once).',
      request: {
        body: jsonBody(
          z.strictObject({
            name: agentName,
            expiresInMinutes: z.number().int().min(1).max(MAX_TOKEN_MINUTES).default(MAX_TOKEN_MINUTES),
          }),
        ),
      },
      responses: {
        201: jsonResponse(
          z.object({ name: z.string(), token: z.string(), expiresAt: z.string(), caFingerprint: z.string() }),
          'The token: pass it to isotyp agent enroll once, with the CA fingerprint to check.',
        ),
        ...authErrors,
      },
    }),
    async (c) => {
      const principal = allow(c, 'tokens:manage');
      const { name, expiresInMinutes } = c.req.valid('json');
      const token = `isotyp_enrol_${randomBytes(32).toString('base64url')}`;
      const created = now();
      const expiresAt = new Date(created.getTime() + expiresInMinutes * 60_000).toISOString();
      await store.enrolmentTokens.create({
        tokenHash: hashOf(token),
        orgId: principal.orgId,
        name,
        createdBy: actorOf(principal),
        createdAt: created.toISOString(),
        expiresAt,
      });
      await appendAudit(
        store,
        {
          orgId: principal.orgId,
          actor: actorOf(principal),
          action: 'agent.enrolment-token.create',
          entity: { kind: 'agent', id: name },
          details: { expiresAt },
        },
        created,
      );
      // The fingerprint the agent will check the server's CA against: the serving one.
      return c.json({ name, token, expiresAt, caFingerprint: (await trust()).serving.fingerprint }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/agents/ca',
      tags: ['agents'],
      summary: 'The agent CA certificate, for a new agent to check against the fingerprint it was given.',
      responses: {
        200: jsonResponse(
          z.object({ certificate: z.string(), fingerprint: z.string(), bundle: z.array(z.string()) }),
          'The CA that signs the server’s certificate, and every CA an agent certificate may chain to.',
        ),
        ...authErrors,
      },
    }),
    async (c) => {
      const { serving, bundle } = await trust();
      return c.json({ certificate: serving.certificatePem, fingerprint: serving.fingerprint, bundle }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/agents/enroll',
      tags: ['agents'],
      summary:
        'Redeem an enrolment token: a client certificate for the agent (no bearer token; the enrolment token is the credential).',
      request: {
        body: jsonBody(
          z.strictObject({
            token: z.string().max(100),
            csr: z
              .string()
              .max(16 * 1024)
              .openapi({ description: 'PEM PKCS#10 request, RSA ≥ 2048 bits.' }),
            identity: z
              .unknown()
              .openapi({ description: 'isotyp.agent-identity envelope, signed by the identity key.' }),
          }),
        ),
      },
      responses: {
        201: jsonResponse(
          z.object({
            agentId: z.string(),
            orgId: z.string(),
            name: z.string(),
            certificate: z.string(),
            certificateNotAfter: z.string(),
            ca: z.object({ certificate: z.string(), fingerprint: z.string(), bundle: z.array(z.string()) }),
            orgRoot: z
              .unknown()
              .openapi({ description: 'The org root envelope to pin, or null before isotyp org init.' }),
          }),
          'Enrolled.',
        ),
        400: errorResponse,
        401: errorResponse,
        409: errorResponse,
      },
    }),
    async (c) => {
      const { token, csr, identity } = c.req.valid('json');
      if (!ENROLMENT_TOKEN_PATTERN.test(token)) throw refusedToken();
      // Everything the agent sends is checked before the token is spent on it.
      const request = checkCertificateRequest(csr);
      const proof = openSelfSigned(identity, AGENT_IDENTITY_ENVELOPE_TYPE, agentIdentitySchema, 'keyId and publicKey');
      if (proof.enrolment !== enrolmentDigest(token)) {
        throw new IsotypError('ISOTYP_INVALID_INPUT', 'The identity proof is for another enrolment.', {
          hint: 'Sign the proof over this enrolment token, as isotyp agent enroll does.',
        });
      }
      const current = await trust();
      const authority = current.issuing;
      const at = now();
      const agentId = newId('agt');
      // One compare-and-set: of two concurrent redemptions exactly one gets the token.
      const redeemed = await store.enrolmentTokens.redeem(hashOf(token), at.toISOString(), agentId);
      if (redeemed === undefined) throw refusedToken();
      const issued = authority.issueAgentCertificate(request, {
        orgId: redeemed.orgId,
        agentId,
        hours: config.agentCertificateHours,
        now: at,
      });
      await store.agents.create({
        id: agentId,
        orgId: redeemed.orgId,
        name: redeemed.name,
        identityKeyId: proof.keyId,
        identityPublicKey: proof.publicKey,
        certificateSerial: issued.serial,
        certificateNotAfter: issued.notAfter.toISOString(),
        createdAt: at.toISOString(),
      });
      await appendAudit(
        store,
        {
          orgId: redeemed.orgId,
          actor: `agent:${agentId}`,
          action: 'agent.enroll',
          entity: { kind: 'agent', id: agentId },
          details: { name: redeemed.name, identityKeyId: proof.keyId, certificateSerial: issued.serial },
        },
        at,
      );
      const root = await store.trust.latest(redeemed.orgId, 'root');
      return c.json(
        {
          agentId,
          orgId: redeemed.orgId,
          name: redeemed.name,
          certificate: issued.pem,
          certificateNotAfter: issued.notAfter.toISOString(),
          ca: {
            certificate: current.serving.certificatePem,
            fingerprint: current.serving.fingerprint,
            bundle: current.bundle,
          },
          orgRoot: (root?.document as Envelope | undefined) ?? null,
        },
        201,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/agents',
      tags: ['agents'],
      summary: 'The organisation’s agents.',
      responses: { 200: jsonResponse(z.object({ agents: z.array(agentView) }), 'Oldest first.'), ...authErrors },
    }),
    async (c) => {
      const principal = allow(c, 'org:read', undefined, true);
      const [agents, written] = await Promise.all([
        store.agents.list(principal.orgId),
        store.heartbeats.list(principal.orgId),
      ]);
      const latest = new Map([...written, ...heartbeats.pending(principal.orgId)].map((h) => [h.agentId, h]));
      const at = now().getTime();
      const fleet = agents.map((agent) => {
        const heard = latest.get(agent.id);
        const seen = heard?.lastSeenAt ?? agent.lastSeenAt;
        return {
          ...toAgentView(agent),
          ...(heard === undefined
            ? {}
            : { lastSeenAt: heard.lastSeenAt, version: heard.version, report: heard.report }),
          stale: agent.revokedAt === undefined && (seen === undefined || at - Date.parse(seen) > STALE_AFTER_MS),
        };
      });
      return c.json({ agents: fleet }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/agents/ca/rotate',
      tags: ['agents'],
      summary:
        'Rotate the agent CA: a new CA issues from now on; the old one keeps signing the server’s certificate and stays trusted for the overlap, while agents renew and learn the new one.',
      responses: {
        200: jsonResponse(
          z.object({ fingerprint: z.string(), previous: z.string(), overlapUntil: z.string() }),
          'The new CA, the old one, and when the old one stops counting.',
        ),
        ...authErrors,
      },
    }),
    async (c) => {
      const principal = allow(c, 'org:admin');
      const at = now();
      const previous = await ca();
      const next = await CertificateAuthority.rotate(store, passphrase(), at);
      await deps.onTrustChanged?.();
      const overlapUntil = new Date(at.getTime() + config.caOverlapSeconds * 1000).toISOString();
      await appendAudit(
        store,
        {
          orgId: principal.orgId,
          actor: actorOf(principal),
          action: 'agent.ca.rotate',
          entity: { kind: 'ca', id: next.id },
          details: { previous: previous.fingerprint, next: next.fingerprint, overlapUntil },
        },
        at,
      );
      return c.json({ fingerprint: next.fingerprint, previous: previous.fingerprint, overlapUntil }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/targets/{targetId}/agent',
      tags: ['agents'],
      summary:
        'Put a target in an agent’s care (agentId null: in nobody’s). The agent then pulls its approved changes.',
      request: {
        params: z.object({ targetId: objectId }),
        body: jsonBody(z.strictObject({ agentId: objectId.nullable() })),
      },
      responses: {
        200: jsonResponse(z.object({ id: z.string(), agentId: z.string().optional() }).loose(), 'The target.'),
        ...authErrors,
      },
    }),
    async (c) => {
      const principal = allow(c, 'catalog:write', undefined, true);
      const { targetId } = c.req.valid('param');
      const { agentId } = c.req.valid('json');
      const target = found(await store.targets.get(principal.orgId, targetId), 'target', targetId);
      allow(c, 'catalog:write', { projectId: target.projectId, environmentId: target.environmentId });
      if (agentId !== null) {
        const agent = found(await store.agents.get(principal.orgId, agentId), 'agent', agentId);
        if (agent.revokedAt !== undefined) {
          throw new IsotypError('ISOTYP_INVALID_STATE', `Agent ${agentId} is revoked.`, {
            hint: 'Enrol a new agent and assign the target to it.',
          });
        }
      }
      const at = now();
      await store.targets.assign(principal.orgId, targetId, agentId ?? undefined, at.toISOString());
      await appendAudit(
        store,
        {
          orgId: principal.orgId,
          actor: actorOf(principal),
          action: 'target.assign',
          entity: { kind: 'target', id: targetId },
          details: { agentId },
        },
        at,
      );
      const { orgId: _org, ...view } = found(await store.targets.get(principal.orgId, targetId), 'target', targetId);
      return c.json(view, 200);
    },
  );

  app.openapi(
    createRoute({
      // DELETE, as a CI token is revoked: the agent stays listed, marked revoked. Not `POST
      // /v1/agents/{id}/revoke`: beside the static POST routes under /v1/agents/ it would make
      // Hono fall back from its RegExpRouter to the slower TrieRouter for every request.
      method: 'delete',
      path: '/v1/agents/{id}',
      tags: ['agents'],
      summary: 'Revoke an agent: its certificate is refused from its next request on.',
      request: { params: z.object({ id: objectId }) },
      responses: { 200: jsonResponse(agentView, 'Revoked (also when it already was).'), ...authErrors },
    }),
    async (c) => {
      const principal = allow(c, 'tokens:manage');
      const { id } = c.req.valid('param');
      const at = now();
      if (!(await store.agents.revoke(principal.orgId, id, at.toISOString()))) found(undefined, 'agent', id);
      await appendAudit(
        store,
        { orgId: principal.orgId, actor: actorOf(principal), action: 'agent.revoke', entity: { kind: 'agent', id } },
        at,
      );
      return c.json(toAgentView(found(await store.agents.get(principal.orgId, id), 'agent', id)), 200);
    },
  );

  return app;
}

/** The stored form of a token: the hex of the digest its holder's identity proof binds. */
function hashOf(token: string): string {
  return enrolmentDigest(token).slice('sha256:'.length);
}

/** One answer for a token that is unknown, expired or used: nothing to tell them apart. */
function refusedToken(): IsotypError {
  return new IsotypError(
    'ISOTYP_UNAUTHENTICATED',
    'The enrolment token is not valid: unknown, expired or already used.',
    {
      hint: 'Ask an admin for a new one: isotyp agents token NAME (tokens live 30 minutes and work once).',
    },
  );
}

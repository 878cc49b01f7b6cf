import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { IsotypError } from '@isotyp/protocol';
import type { Context } from 'hono';
import { checkCertificateRequest } from '../agents/certificate-authority.js';
import type { AgentServices } from '../agents/services.js';
import { type AppDeps, createRouter } from '../app.js';
import { appendAudit } from '../audit/audit-log.js';
import type { AppEnv } from '../context.js';
import type { Permission } from '../identity/rbac.js';
import { allow, authErrors, errorResponse, found, jsonBody, jsonResponse } from './route-kit.js';

/** How often agents are asked to send a heartbeat. */
export const HEARTBEAT_SECONDS = 30;
/** The longest an agent's work request is held open, and how often it looks again meanwhile. */
const MAX_WAIT_SECONDS = 25;
const POLL_MS = 200;

const heartbeatBody = z.strictObject({
  version: z.string().min(1).max(64),
  targets: z
    .array(
      z.strictObject({
        name: z.string().min(1).max(128),
        dialect: z.enum(['sqlite', 'postgres']),
        digest: z
          .string()
          .regex(/^sha256:[0-9a-f]{64}$/)
          .optional(),
        drift: z.boolean().optional(),
      }),
    )
    .max(200),
});

/** The caller, when it is an enrolled agent (known by its client certificate) holding `permission`. */
function requireAgent(c: Context<AppEnv>, permission: Permission, refusal: string) {
  const principal = allow(c, permission, undefined, true);
  if (principal.kind !== 'agent') {
    throw new IsotypError('ISOTYP_FORBIDDEN', refusal, {
      hint: 'Agents authenticate with the client certificate they got at enrolment.',
    });
  }
  return principal;
}

/**
 * What an enrolled agent calls, over mutual TLS: renewing its certificate, pulling the approved
 * changes on the targets in its care, reporting in. People and CI tokens are refused here.
 */
export function agentLinkRoutes(deps: AppDeps, services: AgentServices): OpenAPIHono<AppEnv> {
  const { store, config } = deps;
  const now = deps.now ?? (() => new Date());
  const { heartbeats, trust, ca } = services;
  const app = createRouter();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/agent/certificate',
      tags: ['agents'],
      summary: 'An agent renews its client certificate (over mutual TLS, with the one it has).',
      request: {
        body: jsonBody(z.strictObject({ csr: z.string().max(16 * 1024) })),
      },
      responses: {
        200: jsonResponse(
          z.object({ certificate: z.string(), certificateNotAfter: z.string(), caBundle: z.array(z.string()) }),
          'The new certificate — from now on the only one this agent is known by — and the CAs to pin.',
        ),
        ...authErrors,
        409: errorResponse,
      },
    }),
    async (c) => {
      const principal = requireAgent(c, 'agent:report', 'Only agents renew agent certificates.');
      const request = checkCertificateRequest(c.req.valid('json').csr);
      const agent = found(await store.agents.get(principal.orgId, principal.agentId), 'agent', principal.agentId);
      const at = now();
      const issued = (await ca()).issueAgentCertificate(request, {
        orgId: principal.orgId,
        agentId: principal.agentId,
        hours: config.agentCertificateHours,
        now: at,
      });
      const renewed = await store.agents.renewCertificate(principal.orgId, principal.agentId, agent.certificateSerial, {
        serial: issued.serial,
        notAfter: issued.notAfter.toISOString(),
      });
      if (!renewed) {
        throw new IsotypError(
          'ISOTYP_CONFLICT',
          'The certificate changed meanwhile (another renewal won, or the agent was revoked).',
          {
            hint: 'Use the newest certificate in $ISOTYP_HOME/agent, or enrol again if the agent was revoked.',
          },
        );
      }
      await appendAudit(
        store,
        {
          orgId: principal.orgId,
          actor: `agent:${principal.agentId}`,
          action: 'agent.certificate.renew',
          entity: { kind: 'agent', id: principal.agentId },
          details: { previousSerial: agent.certificateSerial, serial: issued.serial },
        },
        at,
      );
      return c.json(
        {
          certificate: issued.pem,
          certificateNotAfter: issued.notAfter.toISOString(),
          caBundle: (await trust()).bundle,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/agent/work',
      tags: ['agents'],
      summary:
        'An agent asks for approved changes on the targets in its care; with wait, the answer comes as soon as there is one (long poll).',
      request: { query: z.object({ wait: z.coerce.number().int().min(0).max(MAX_WAIT_SECONDS).default(0) }) },
      responses: {
        200: jsonResponse(
          z.object({
            targets: z.array(
              z.object({
                id: z.string(),
                name: z.string(),
                dialect: z.string(),
                projectId: z.string(),
                environmentId: z.string(),
              }),
            ),
            changes: z.array(
              z.object({ id: z.string(), targetId: z.string(), planDigest: z.string(), title: z.string() }),
            ),
            applying: z
              .array(z.object({ id: z.string(), targetId: z.string(), planDigest: z.string(), toDigest: z.string() }))
              .openapi({
                description:
                  'Changes on its targets the control plane still sees `applying`: an agent that finds one of them in its target’s history (a run that died after its commit, before its report) reports it applied.',
              }),
          }),
          'The agent’s targets and the approved changes waiting on them.',
        ),
        ...authErrors,
      },
    }),
    async (c) => {
      const principal = requireAgent(c, 'change:apply', 'Only agents pull work.');
      const { wait } = c.req.valid('query');
      const deadline = Date.now() + wait * 1000;
      for (;;) {
        const stamp = store.stamp(['changes', 'targets']);
        const mine = (await store.targets.list(principal.orgId, {})).filter((t) => t.agentId === principal.agentId);
        const listed = (
          await Promise.all(
            mine.map((t) =>
              store.changes.list(principal.orgId, { targetId: t.id, states: ['approved', 'applying'], limit: 50 }),
            ),
          )
        ).flat();
        const waiting = listed.filter((change) => change.state === 'approved');
        const applying = listed.filter((change) => change.state === 'applying');
        if (waiting.length > 0 || Date.now() >= deadline) {
          return c.json(
            {
              targets: mine.map(({ id, name, dialect, projectId, environmentId }) => ({
                id,
                name,
                dialect,
                projectId,
                environmentId,
              })),
              changes: waiting.map(({ id, targetId, planDigest, title }) => ({ id, targetId, planDigest, title })),
              applying: applying.map(({ id, targetId, planDigest, toDigest }) => ({
                id,
                targetId,
                planDigest,
                toDigest,
              })),
            },
            200,
          );
        }
        // Until something is written to changes or targets (here or, as notified, elsewhere).
        while (Date.now() < deadline && store.stamp(['changes', 'targets']) === stamp) {
          await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        }
      }
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/agent/heartbeat',
      tags: ['agents'],
      summary: 'An agent reports in (over mutual TLS: its client certificate is its credential).',
      request: { body: jsonBody(heartbeatBody) },
      responses: {
        200: jsonResponse(
          z.object({ serverTime: z.string(), nextHeartbeatSeconds: z.number() }),
          'Heard; when to report next.',
        ),
        ...authErrors,
      },
    }),
    async (c) => {
      const principal = requireAgent(c, 'agent:report', 'Only agents send heartbeats.');
      const { version, targets } = c.req.valid('json');
      const at = now();
      heartbeats.add({
        agentId: principal.agentId,
        orgId: principal.orgId,
        lastSeenAt: at.toISOString(),
        version,
        report: { targets },
      });
      return c.json({ serverTime: at.toISOString(), nextHeartbeatSeconds: HEARTBEAT_SECONDS }, 200);
    },
  );

  return app;
}

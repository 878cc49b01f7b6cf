import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { encodePublicKey, IsotypError, MAX_NOTE_BYTES, parseVkey } from '@isotyp/protocol';
import type { Context } from 'hono';
import { type AppDeps, createRouter } from '../app.js';
import { acceptAgentCheckpoint } from '../audit/agent-checkpoints.js';
import { ControlPlaneLog } from '../audit/control-plane-log.js';
import type { AppEnv, Principal } from '../context.js';
import { authorize, canAnywhere, type Permission } from '../identity/rbac.js';
import { objectId } from '../identity/schemas.js';
import { requestLogger } from '../middleware/request-id.js';
import { SecretSeal } from '../storage/sealed-secrets.js';
import type { AgentCheckpointRecord, AuditEntryRecord, Store } from '../storage/store.js';
import { actorOf, allow, authErrors, errorResponse, found, jsonBody, jsonResponse } from './route-kit.js';

const tags = ['audit'];
const security = [{ bearerAuth: [] }];
const seqNumber = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const hexHash = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lower-case hex digits');

const checkpointSchema = z
  .object({ origin: z.string(), size: z.number().int(), root: z.string(), note: z.string() })
  .openapi('AuditCheckpoint');
const entrySchema = z
  .object({
    seq: z.number().int(),
    time: z.string(),
    action: z.string(),
    actor: z.string(),
    entity: z.object({ kind: z.string(), id: z.string() }),
    entry: z.string().openapi({ description: 'The canonical entry text; its leaf hash is SHA-256(0x00 ‖ entry).' }),
  })
  .openapi('AuditEntry');
const agentCheckpointSchema = z
  .object({ agentId: z.string(), size: z.number().int(), root: z.string(), note: z.string(), createdAt: z.string() })
  .openapi('AgentCheckpoint');

const entryView = (record: AuditEntryRecord) => ({
  seq: record.seq,
  time: record.time,
  action: record.action,
  actor: String((JSON.parse(record.entry) as { actor?: unknown }).actor ?? ''),
  entity: { kind: record.entityKind, id: record.entityId },
  entry: record.entry,
});
const agentCheckpointView = ({ agentId, size, root, note, createdAt }: AgentCheckpointRecord) => ({
  agentId,
  size,
  root,
  note,
  createdAt,
});

/** The caller, who must hold one of `permissions` somewhere (the first is named when none). */
function allowAny(c: Context<AppEnv>, permissions: readonly [Permission, ...Permission[]]): Principal {
  const principal = c.get('principal');
  const held = principal !== undefined && permissions.some((p) => canAnywhere(principal, p));
  return held ? principal : authorize(principal, permissions[0], {}, true);
}

/** Any signed-in caller: the checkpoint and the key say nothing about any one organisation. */
function signedIn(c: Context<AppEnv>): Principal {
  const principal = c.get('principal');
  if (principal === undefined) return authorize(principal, 'org:read');
  return principal;
}

/** `kind:id` (the id may contain colons). */
function parseEntity(text: string): { kind: string; id: string } {
  const at = text.indexOf(':');
  if (at <= 0 || at === text.length - 1) {
    throw new IsotypError('ISOTYP_INVALID_INPUT', `Cannot read the entity "${text}".`, {
      hint: 'Write it as kind:id, e.g. change:chg_123.',
    });
  }
  return { kind: text.slice(0, at), id: text.slice(at + 1) };
}

/**
 * The control plane's audit log as a verifiable log (C2SP signed checkpoints, RFC 9162 proofs),
 * entity histories, and the agents' checkpoints of their own logs. Entries belong to one
 * organisation but the tree is global: hashes of other organisations' leaves appear in proofs,
 * their entries never do.
 */
export function auditRoutes(deps: AppDeps): OpenAPIHono<AppEnv> {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());
  const log = new ControlPlaneLog({
    store,
    publicUrl: deps.config.publicUrl,
    now,
    seal: SecretSeal.of(deps.config.caPassphrase),
  });
  const app = createRouter();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/audit/checkpoint',
      tags,
      security,
      summary: "The log's current signed checkpoint (C2SP tlog-checkpoint); text/plain gives the note alone.",
      responses: {
        200: {
          content: {
            'application/json': { schema: checkpointSchema },
            'text/plain': { schema: z.string() },
          },
          description: 'The checkpoint.',
        },
        ...authErrors,
        409: errorResponse,
      },
    }),
    async (c) => {
      signedIn(c);
      const checkpoint = await log.checkpoint();
      if (prefersText(c.req.header('accept'))) {
        return c.body(checkpoint.note, 200, { 'content-type': 'text/plain; charset=utf-8' }) as never;
      }
      return c.json(checkpoint, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/audit/log-key',
      tags,
      security,
      summary: "The log's verifier key (C2SP vkey), for agents and auditors to pin.",
      responses: {
        200: {
          content: {
            'application/json': {
              schema: z.object({ name: z.string(), publicKey: z.string(), vkey: z.string() }).openapi('AuditLogKey'),
            },
            'text/plain': { schema: z.string() },
          },
          description: 'The key: its name (the checkpoint origin), standard base64 public key and vkey line.',
        },
        ...authErrors,
      },
    }),
    async (c) => {
      signedIn(c);
      const key = await log.logKey();
      if (prefersText(c.req.header('accept'))) {
        return c.body(`${key.vkey}\n`, 200, { 'content-type': 'text/plain; charset=utf-8' }) as never;
      }
      return c.json(key, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/audit/proof/inclusion',
      tags,
      security,
      summary: 'Proves one of your organisation’s entries is in the tree of a given size.',
      request: { query: z.object({ seq: seqNumber, size: seqNumber.min(1).optional() }) },
      responses: {
        200: jsonResponse(
          z
            .object({
              leafIndex: z.number().int(),
              treeSize: z.number().int(),
              hashes: z.array(z.string()),
              entry: z.string(),
            })
            .openapi('InclusionProof'),
          'The audit path (hex, lowest sibling first) and the entry text.',
        ),
        ...authErrors,
        409: errorResponse,
      },
    }),
    async (c) => {
      const principal = allow(c, 'audit:read');
      const { seq, size } = c.req.valid('query');
      return c.json(await log.inclusion(principal.orgId, seq, size), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/audit/proof/consistency',
      tags,
      security,
      summary: 'Proves the tree of `from` entries is a prefix of the tree of `to` entries.',
      request: { query: z.object({ from: seqNumber.min(1), to: seqNumber.min(1) }) },
      responses: {
        200: jsonResponse(z.object({ hashes: z.array(z.string()) }).openapi('ConsistencyProof'), 'The proof (hex).'),
        ...authErrors,
        409: errorResponse,
      },
    }),
    async (c) => {
      // Agents check the log they report to; the proof holds hashes only, no organisation's entries.
      allowAny(c, ['audit:read', 'agent:report']);
      const { from, to } = c.req.valid('query');
      return c.json(await log.consistency(from, to), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/audit/entries',
      tags,
      security,
      summary: 'One object’s story in your organisation, oldest first, with each entry’s text.',
      request: {
        query: z.object({
          entity: z.string().min(3).max(400).openapi({ example: 'change:chg_123' }),
          after: seqNumber.optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
      },
      responses: {
        200: jsonResponse(
          z.object({ entries: z.array(entrySchema), next: z.number().int().optional() }),
          'The entries; `next` is the `after` of the following page, when there may be one.',
        ),
        ...authErrors,
      },
    }),
    async (c) => {
      const principal = allow(c, 'audit:read');
      const q = c.req.valid('query');
      const { kind, id } = parseEntity(q.entity);
      const rows = await store.audit.byEntity(principal.orgId, kind, id, {
        limit: q.limit,
        ...(q.after === undefined ? {} : { after: q.after }),
      });
      const last = rows.at(-1);
      return c.json(
        { entries: rows.map(entryView), ...(rows.length === q.limit && last ? { next: last.seq } : {}) },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/audit/agent-checkpoints',
      tags,
      security,
      summary: "Reports a signed checkpoint of an agent's own audit log (Idempotency-Key required).",
      request: {
        body: jsonBody(
          z.strictObject({
            agentId: objectId,
            note: z.string().min(1).max(MAX_NOTE_BYTES),
            vkey: z.string().min(1).max(512).optional(),
            consistency: z.array(hexHash).max(128).default([]),
          }),
        ),
      },
      responses: {
        201: jsonResponse(agentCheckpointSchema, 'Accepted and stored.'),
        200: jsonResponse(agentCheckpointSchema, 'Already the latest accepted checkpoint; nothing new stored.'),
        ...authErrors,
        409: errorResponse,
      },
    }),
    async (c) => {
      const principal = allow(c, 'agent:report', undefined, true);
      const body = c.req.valid('json');
      if (principal.kind === 'agent') await bindToAgentWith(store, principal.orgId, principal.agentId, body);
      const outcome = await acceptAgentCheckpoint(body, {
        store,
        orgId: principal.orgId,
        actor: actorOf(principal),
        now: now(),
        logger: requestLogger(c),
      });
      return c.json(agentCheckpointView(outcome.checkpoint), outcome.created ? 201 : 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/audit/agent-checkpoints/{agentId}',
      tags,
      security,
      summary: "The agent's latest accepted checkpoint.",
      request: { params: z.object({ agentId: objectId }) },
      responses: { 200: jsonResponse(agentCheckpointSchema, 'The checkpoint.'), ...authErrors },
    }),
    async (c) => {
      const principal = allowAny(c, ['audit:read', 'agent:report']);
      const { agentId } = c.req.valid('param');
      const latest = found(await store.agentCheckpoints.latest(principal.orgId, agentId), 'agent checkpoint', agentId);
      return c.json(agentCheckpointView(latest), 200);
    },
  );

  return app;
}

/**
 * An enrolled agent reports for itself only, and signs its log with the identity it enrolled
 * with: another agent id, or a log key that is not its identity key, is refused.
 */
async function bindToAgentWith(store: Store, orgId: string, agentId: string, body: { agentId: string; vkey?: string }) {
  if (body.agentId !== agentId) {
    throw new IsotypError('ISOTYP_FORBIDDEN', 'An agent reports checkpoints of its own log only.', {
      hint: `This agent is ${agentId}.`,
    });
  }
  if (body.vkey === undefined) return;
  const agent = await store.agents.get(orgId, agentId);
  if (agent === undefined || encodePublicKey(parseVkey(body.vkey).publicKey) !== agent.identityPublicKey) {
    throw new IsotypError('ISOTYP_FORBIDDEN', 'The log key is not the identity this agent enrolled with.', {
      hint: 'Agents sign their checkpoints with their enrolment identity ($ISOTYP_HOME/agent/identity.key).',
    });
  }
}

/** True when the client asked for text/plain and not for JSON. */
function prefersText(accept: string | undefined): boolean {
  return accept !== undefined && /\btext\/plain\b/.test(accept) && !/\bapplication\/json\b/.test(accept);
}

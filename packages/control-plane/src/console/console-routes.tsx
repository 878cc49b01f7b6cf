/** @jsxImportSource hono/jsx */
import type { ApprovalEvaluation } from '@isotyp/protocol';
import { IsotypError } from '@isotyp/protocol';
import { type Context, Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import type { Logger } from 'pino';
import type { ControlPlaneConfig } from '../config.js';
import type { AppEnv, Principal } from '../context.js';
import { readBodyLimited } from '../http/read-body.js';
import { can } from '../identity/rbac.js';
import { safeReturnTo } from '../oidc/return-to.js';
import type { RoleGrantRecord } from '../storage/store.js';
import { type ApiError, type ApiFetch, ConsoleApi, ConsoleApiError } from './api.js';
import { loadConsoleAssets } from './assets.js';
import { type AssetUrls, BarePage, ErrorNotice, Page, type Section, type Viewer } from './layout.js';
import { AgentsPage, type AgentView } from './pages/agents.js';
import { type AgentCheckpointRow, type AuditEntryView, AuditPage, type CheckpointView } from './pages/audit.js';
import {
  ApprovalsInbox,
  type ChangeDetail,
  ChangePage,
  type ChangeSummary,
  ChangesPage,
  type Names,
  type SignableLayer,
} from './pages/changes.js';
import { KeysPage, type RegisteredKey } from './pages/keys.js';
import { SignInPage } from './pages/sign-in.js';
import { SuggestionsPage, type SuggestionView } from './pages/suggestions.js';
import { type SchemaVersionView, TargetPage, TargetsPage, type TargetView } from './pages/targets.js';
import {
  CONSOLE_ACCESS_COOKIE,
  CONSOLE_REFRESH_COOKIE,
  checkCsrf,
  checkOrigin,
  clearSession,
  csrfTokenOf,
  type SessionTokens,
  secondsLeft,
  setSession,
} from './session.js';

export interface ConsoleDeps {
  config: ControlPlaneConfig;
  logger: Logger;
  /** The control plane's own API, called in-process as the signed-in person. */
  fetchApi: ApiFetch;
  now?: () => Date;
  /** Tests: another bundle than the built one. */
  scriptPath?: string;
}

/** Form posts to the console are small: a sign-in form, a CSRF token. */
const FORM_LIMIT_BYTES = 16 * 1024;
/** An approval or key registration envelope, with room to spare. */
const JSON_LIMIT_BYTES = 64 * 1024;
/** Renew the access token when it has less than this left, so a page never half-loads. */
const RENEW_BEFORE_SECONDS = 30;

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

interface Session {
  api: ConsoleApi;
  viewer: Viewer;
  principal: Principal;
  csrf: string | undefined;
}

/**
 * The web console at `/console`: server-rendered pages (hono/jsx) over the control plane's own
 * API, plus one bundled script that keeps the approver's key in the browser and signs there.
 * Sessions are cookies (HttpOnly, SameSite=Strict, path /console) holding the same access and
 * refresh tokens `isotyp login` gets; every state-changing request also needs the session's
 * CSRF token and a same-origin Origin. Every response carries a strict Content-Security-Policy
 * (scripts and styles from this origin only, no inline code, no framing).
 *
 * @example
 * app.route('/', consoleRoutes({ config, logger, fetchApi: (request, env) => app.fetch(request, env) }));
 */
export function consoleRoutes(deps: ConsoleDeps): Hono<AppEnv> {
  const { config } = deps;
  const now = deps.now ?? (() => new Date());
  const router = new Hono<AppEnv>();
  const publicUrl = new URL(config.publicUrl);
  const secure = publicUrl.protocol === 'https:';
  const cookies = { secure, refreshSeconds: config.refreshTokenSeconds };
  const assets = loadConsoleAssets(deps.scriptPath);
  if (assets.js === undefined) {
    deps.logger.warn('the console script is not built (pnpm build): pages render, signing in the browser does not');
  }
  const assetUrls: AssetUrls = {
    css: `/console/assets/console.css?v=${assets.css.hash}`,
    js: `/console/assets/console.js?v=${assets.js?.hash ?? 'missing'}`,
  };
  const origins = (c: Context<AppEnv>) => [publicUrl.origin, new URL(c.req.url).origin];
  // A refresh token is spent on use (and reuse revokes the family): requests that arrive
  // together with the same expired session share one renewal instead of racing.
  const renewals = new Map<string, Promise<SessionTokens | undefined>>();

  router.use('/console/*', async (c, next) => {
    await next();
    c.header('content-security-policy', CSP);
    c.header('x-content-type-options', 'nosniff');
    c.header('x-frame-options', 'DENY');
    c.header('referrer-policy', 'same-origin');
    c.header('cross-origin-opener-policy', 'same-origin');
    if (!c.req.path.startsWith('/console/assets/')) c.header('cache-control', 'no-store');
  });

  router.get('/console', (c) => c.redirect('/console/approvals', 302));
  router.get('/console/', (c) => c.redirect('/console/approvals', 302));

  router.get('/console/assets/console.css', (c) => asset(c, assets.css));
  router.get('/console/assets/console.js', (c) => {
    if (assets.js === undefined) {
      return c.text('// The console script is not built: run pnpm build.\n', 404, {
        'content-type': 'text/javascript; charset=utf-8',
      });
    }
    return asset(c, assets.js);
  });

  // --- signing in and out ----------------------------------------------------------------

  router.get('/console/sign-in', (c) => {
    const returnTo = returnPath(c.req.query('return_to'));
    const notice = c.req.query('signed_out') !== undefined ? 'You are signed out.' : undefined;
    return html(
      c,
      <SignInPage assets={assetUrls} returnTo={returnTo} oidc={config.oidc !== undefined} notice={notice} />,
    );
  });

  router.post('/console/sign-in', async (c) => {
    checkOrigin(c, origins(c));
    const form = await readForm(c);
    const returnTo = returnPath(form.get('return_to') ?? undefined);
    const credentials = {
      org: (form.get('org') ?? '').trim(),
      email: (form.get('email') ?? '').trim(),
      password: form.get('password') ?? '',
    };
    const api = new ConsoleApi(deps.fetchApi, c, undefined);
    const answer = await api.post('/v1/auth/login', JSON.stringify(credentials));
    if (answer.error !== undefined) {
      return html(
        c,
        <SignInPage
          assets={assetUrls}
          returnTo={returnTo}
          oidc={config.oidc !== undefined}
          error={answer.error}
          org={credentials.org}
          email={credentials.email}
        />,
        answer.error.status === 429 ? 429 : 401,
      );
    }
    setSession(c, answer.body as SessionTokens, cookies);
    return c.redirect(returnTo, 303);
  });

  router.post('/console/sign-out', async (c) => {
    const form = await readForm(c);
    checkCsrf(c, origins(c), form.get('_csrf') ?? undefined);
    const refreshToken = getCookie(c, CONSOLE_REFRESH_COOKIE);
    if (refreshToken !== undefined) {
      await new ConsoleApi(deps.fetchApi, c, undefined).post('/v1/auth/logout', JSON.stringify({ refreshToken }));
    }
    clearSession(c, secure);
    return c.redirect('/console/sign-in?signed_out=1', 303);
  });

  // --- pages -----------------------------------------------------------------------------

  page('/console/approvals', 'approvals', async (s) => {
    const [waiting, recent, names] = await Promise.all([
      s.api.get<{ changes: ChangeSummary[] }>('/v1/changes?state=submitted&state=in_review&limit=100'),
      s.api.get<{ changes: ChangeSummary[] }>(
        '/v1/changes?state=approved&state=rejected&state=applying&state=applied&state=failed&state=rolled_back&limit=20',
      ),
      loadNames(s.api),
    ]);
    return {
      title: 'Approvals',
      body: <ApprovalsInbox waiting={waiting.changes} recent={recent.changes} names={names} />,
    };
  });

  page('/console/changes', 'changes', async (s, c) => {
    const state = c.req.query('state') || undefined;
    const query = new URLSearchParams({ limit: '100', ...(state === undefined ? {} : { state }) });
    const [list, names] = await Promise.all([
      s.api.get<{ changes: ChangeSummary[] }>(`/v1/changes?${query}`),
      loadNames(s.api),
    ]);
    return { title: 'Changes', body: <ChangesPage changes={list.changes} names={names} state={state} /> };
  });

  page('/console/changes/:id', 'approvals', async (s, c) => {
    const id = c.req.param('id') ?? '';
    const [change, names, keyring] = await Promise.all([
      s.api.get<ChangeDetail>(`/v1/changes/${encodeURIComponent(id)}`),
      loadNames(s.api),
      s.api.tryGet<{ document?: { payload?: { keys?: { userId: string; roles: string[] }[] } } }>('/v1/trust/keyring'),
    ]);
    const scope = { projectId: change.projectId, environmentId: change.environmentId };
    const canApprove = can(s.principal, 'change:approve', scope);
    const keyRoles = new Set(
      keyring.ok
        ? (keyring.body.document?.payload?.keys ?? [])
            .filter((k) => k.userId === s.viewer.userId)
            .flatMap((k) => k.roles)
        : [],
    );
    const review = change.review !== undefined && 'layers' in change.review ? change.review : undefined;
    const layers = (review?.layers ?? []).map((layer) => ({
      layer,
      ...blockedFrom(layer.name, layer.role, {
        canApprove,
        isAuthor: change.authorUserId === s.viewer.userId,
        keyRoles,
        review,
        viewerId: s.viewer.userId,
      }),
    })) satisfies SignableLayer[];
    return {
      title: change.title || change.id,
      body: (
        <ChangePage change={change} names={names} layers={layers} viewerId={s.viewer.userId} canApprove={canApprove} />
      ),
    };
  });

  page('/console/targets', 'targets', async (s) => {
    const [targets, names, agents] = await Promise.all([
      s.api.get<{ targets: TargetView[] }>('/v1/targets'),
      loadNames(s.api),
      s.api.tryGet<{ agents: AgentView[] }>('/v1/agents'),
    ]);
    const agentNames = new Map((agents.ok ? agents.body.agents : []).map((a) => [a.id, a.name]));
    return { title: 'Targets', body: <TargetsPage targets={targets.targets} names={names} agents={agentNames} /> };
  });

  page('/console/targets/:id', 'targets', async (s, c) => {
    const id = encodeURIComponent(c.req.param('id') ?? '');
    const [target, versions, names] = await Promise.all([
      s.api.get<TargetView>(`/v1/targets/${id}`),
      s.api.get<{ versions: SchemaVersionView[] }>(`/v1/targets/${id}/versions`),
      loadNames(s.api),
    ]);
    return { title: target.name, body: <TargetPage target={target} versions={versions.versions} names={names} /> };
  });

  page('/console/agents', 'agents', async (s) => {
    const { agents } = await s.api.get<{ agents: AgentView[] }>('/v1/agents');
    return { title: 'Agents', body: <AgentsPage agents={agents} now={now().getTime()} /> };
  });

  page('/console/audit', 'audit', async (s, c) => {
    const kind = c.req.query('kind');
    const id = c.req.query('id');
    const single = c.req.query('entity');
    const entity = single?.includes(':')
      ? { kind: single.slice(0, single.indexOf(':')), id: single.slice(single.indexOf(':') + 1) }
      : kind !== undefined && id !== undefined && id !== ''
        ? { kind, id: id.trim() }
        : undefined;
    const after = c.req.query('after');
    const [names, checkpoint, agents, history] = await Promise.all([
      loadNames(s.api),
      s.api.tryGet<CheckpointView>('/v1/audit/checkpoint'),
      s.api.tryGet<{ agents: AgentView[] }>('/v1/agents'),
      entity === undefined
        ? undefined
        : s.api.tryGet<{ entries: AuditEntryView[]; next?: number }>(
            `/v1/audit/entries?${new URLSearchParams({
              entity: `${entity.kind}:${entity.id}`,
              ...(after === undefined ? {} : { after }),
            })}`,
          ),
    ]);
    const rows: AgentCheckpointRow[] = await Promise.all(
      (agents.ok ? agents.body.agents : [])
        .filter((a) => a.revokedAt === undefined)
        .map(async (agent) => {
          const latest = await s.api.tryGet<{ size: number; root: string; createdAt: string }>(
            `/v1/audit/agent-checkpoints/${encodeURIComponent(agent.id)}`,
          );
          return { agentId: agent.id, name: agent.name, ...(latest.ok ? { checkpoint: latest.body } : {}) };
        }),
    );
    return {
      title: 'Audit',
      body: (
        <AuditPage
          entity={entity}
          entries={history?.ok ? history.body.entries : undefined}
          next={history?.ok ? history.body.next : undefined}
          error={history !== undefined && !history.ok ? history.error : undefined}
          checkpoint={checkpoint.ok ? checkpoint.body : checkpoint.error}
          agents={rows}
          now={now().getTime()}
          person={names.person}
        />
      ),
    };
  });

  page('/console/keys', 'keys', async (s) => {
    const [keys, keyring] = await Promise.all([
      s.api.get<{ keys: (RegisteredKey & { publicKey: string })[] }>('/v1/keys'),
      s.api.tryGet<{ document?: { payload?: { keys?: { keyId: string; roles: string[] }[] } } }>('/v1/trust/keyring'),
    ]);
    const mine = keys.keys.filter((k) => k.userId === s.viewer.userId);
    const inKeyring = new Map(
      (keyring.ok ? (keyring.body.document?.payload?.keys ?? []) : []).map((k) => [k.keyId, k.roles]),
    );
    return { title: 'Signing key', body: <KeysPage registered={mine} keyring={inKeyring} /> };
  });

  page('/console/suggestions', 'suggestions', async (s, c) => {
    const wanted = c.req.query('state');
    const state = wanted !== undefined && ['new', 'accepted', 'snoozed', 'rejected'].includes(wanted) ? wanted : 'new';
    const [list, names] = await Promise.all([
      s.api.get<{ suggestions: SuggestionView[] }>(`/v1/suggestions?state=${state}&limit=200`),
      loadNames(s.api),
    ]);
    const reviewed = c.req.query('reviewed');
    return {
      title: 'Suggestions',
      body: (
        <SuggestionsPage
          suggestions={list.suggestions}
          names={names}
          state={state}
          canReview={can(s.principal, 'change:submit')}
          csrf={s.csrf}
          notice={reviewed === undefined ? undefined : `Recorded: ${reviewed}.`}
        />
      ),
    };
  });

  // A review is a plain form (no script needed): the decision goes to the API as the person.
  router.post('/console/suggestions/:id/review', async (c) => {
    const form = await readForm(c);
    checkCsrf(c, origins(c), form.get('_csrf') ?? undefined);
    const s = await session(c);
    if (s === undefined) throw signInAgain();
    const decision = form.get('decision') ?? '';
    const reason = (form.get('reason') ?? '').trim();
    const body = {
      decision,
      ...(reason === '' ? {} : { reason }),
      ...(decision === 'snooze' ? { snoozeDays: 7 } : {}),
    };
    const answer = await s.api.post(
      `/v1/suggestions/${encodeURIComponent(c.req.param('id'))}/review`,
      JSON.stringify(body),
    );
    if (answer.error !== undefined) {
      return html(
        c,
        <Page title="Suggestions" section="suggestions" viewer={s.viewer} csrf={s.csrf} assets={assetUrls}>
          <h1>Suggestions</h1>
          <ErrorNotice error={answer.error} title="The review was not recorded." />
          <a href="/console/suggestions">Back to the queue</a>
        </Page>,
        pageStatus(answer.error),
      );
    }
    const done = { accept: 'accepted', reject: 'rejected', snooze: 'snoozed' }[decision] ?? decision;
    return c.redirect(`/console/suggestions?reviewed=${encodeURIComponent(done)}`, 303);
  });

  // --- what the console script posts -----------------------------------------------------

  // A change signed in the browser from the plan an agent drafted: submitted as the person, then
  // the suggestion told which change came of it.
  router.post('/console/suggestions/:id/submit', async (c) => {
    checkCsrf(c, origins(c));
    const s = await session(c);
    if (s === undefined) throw signInAgain();
    const id = encodeURIComponent(c.req.param('id'));
    // Checked first, so a suggestion that already has its change does not get a second one.
    const current = await s.api.get<{ state: string; changeId?: string; draft?: unknown }>(`/v1/suggestions/${id}`);
    if (current.state !== 'accepted' || current.changeId !== undefined || current.draft === undefined) {
      throw new IsotypError(
        current.changeId === undefined ? 'ISOTYP_INVALID_STATE' : 'ISOTYP_CONFLICT',
        current.changeId === undefined
          ? 'This suggestion has no plan drafted by its agent to submit.'
          : `This suggestion was submitted already, as change ${current.changeId}.`,
        { hint: 'Reload the suggestions page.' },
      );
    }
    const submitted = await s.api.post('/v1/changes', await readJson(c), idempotencyKeyOf(c));
    if (submitted.error !== undefined) return c.json(submitted.body ?? null, submitted.status as 400);
    const changeId = (submitted.body as { id: string }).id;
    const marked = await s.api.post(`/v1/suggestions/${id}/drafted`, JSON.stringify({ changeId }));
    if (marked.error !== undefined) return c.json(marked.body ?? null, marked.status as 400);
    return c.json(submitted.body, 201);
  });

  router.post('/console/changes/:id/approvals', async (c) => {
    checkCsrf(c, origins(c));
    const s = await session(c);
    if (s === undefined) throw signInAgain();
    const body = await readJson(c);
    const answer = await s.api.post(
      `/v1/changes/${encodeURIComponent(c.req.param('id'))}/approvals`,
      body,
      idempotencyKeyOf(c),
    );
    return c.json(answer.body ?? null, answer.status as 200);
  });

  router.post('/console/keys', async (c) => {
    checkCsrf(c, origins(c));
    const s = await session(c);
    if (s === undefined) throw signInAgain();
    const answer = await s.api.post('/v1/keys', await readJson(c), idempotencyKeyOf(c));
    return c.json(answer.body ?? null, answer.status as 200);
  });

  router.all('/console/*', (c) =>
    html(
      c,
      <BarePage title="Not found" assets={assetUrls}>
        <h1>Page not found</h1>
        <p class="lede">
          There is no console page at <code>{c.req.path}</code>.
        </p>
        <a class="button" href="/console/approvals">
          Go to approvals
        </a>
      </BarePage>,
      404,
    ),
  );

  return router;

  /**
   * A signed-in page: the session is resolved (renewed when due), the loader reads through the
   * API, and an API error becomes a readable notice in the page with the API's status.
   */
  function page(
    path: string,
    section: Section,
    load: (s: Session, c: Context<AppEnv>) => Promise<{ title: string; body: Child }>,
  ): void {
    router.get(path, async (c) => {
      const s = await session(c);
      if (s === undefined) {
        const here = new URL(c.req.url);
        return c.redirect(`/console/sign-in?return_to=${encodeURIComponent(here.pathname + here.search)}`, 303);
      }
      let title: string;
      let body: Child;
      let status: 200 | 400 | 403 | 404 | 409 | 429 | 500 = 200;
      try {
        ({ title, body } = await load(s, c));
      } catch (error) {
        if (!(error instanceof ConsoleApiError)) throw error;
        title = 'Not available';
        status = pageStatus(error.answer);
        body = (
          <>
            <h1>{status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : 'Something went wrong'}</h1>
            <ErrorNotice error={error.answer} title="" />
          </>
        );
      }
      return html(
        c,
        <Page title={title} section={section} viewer={s.viewer} csrf={s.csrf} assets={assetUrls}>
          {body}
        </Page>,
        status,
      );
    });
  }

  /** The signed-in person, renewing the access token from the refresh cookie when due. */
  async function session(c: Context<AppEnv>): Promise<Session | undefined> {
    let access = getCookie(c, CONSOLE_ACCESS_COOKIE);
    const refresh = getCookie(c, CONSOLE_REFRESH_COOKIE);
    const renew = async () => {
      if (refresh === undefined) return undefined;
      let pending = renewals.get(refresh);
      if (pending === undefined) {
        pending = new ConsoleApi(deps.fetchApi, c, undefined)
          .post('/v1/auth/refresh', JSON.stringify({ refreshToken: refresh }))
          .then((answer) => (answer.error === undefined ? (answer.body as SessionTokens) : undefined));
        renewals.set(refresh, pending);
        setTimeout(() => renewals.delete(refresh), 30_000).unref();
      }
      const tokens = await pending;
      if (tokens === undefined) clearSession(c, secure);
      else setSession(c, tokens, cookies);
      return tokens?.accessToken;
    };
    if (access === undefined || secondsLeft(access, now().getTime()) < RENEW_BEFORE_SECONDS) access = await renew();
    if (access === undefined) return undefined;
    let api = new ConsoleApi(deps.fetchApi, c, access);
    let who = await api.tryGet<WhoAmI>('/v1/auth/whoami');
    if (!who.ok && who.error.status === 401) {
      // Revoked or signed by a retired key: one renewal, then sign in again.
      const renewed = await renew();
      if (renewed === undefined) return undefined;
      api = new ConsoleApi(deps.fetchApi, c, renewed);
      who = await api.tryGet<WhoAmI>('/v1/auth/whoami');
    }
    if (!who.ok) {
      if (who.error.status === 401) clearSession(c, secure);
      if (who.error.status === 401) return undefined;
      throw new ConsoleApiError(who.error);
    }
    const me = who.body;
    if (me.kind !== 'user' || me.userId === undefined) return undefined;
    const grants = (me.grants ?? []).map(
      (g) => ({ ...g, orgId: me.orgId, userId: me.userId }) as unknown as RoleGrantRecord,
    );
    return {
      api,
      viewer: {
        orgId: me.orgId,
        userId: me.userId,
        email: me.email ?? me.userId,
        roles: [...new Set(grants.map((g) => g.role))],
      },
      principal: { kind: 'user', orgId: me.orgId, userId: me.userId, email: me.email ?? '', grants },
      csrf: csrfTokenOf(c),
    };
  }

  async function readForm(c: Context<AppEnv>): Promise<URLSearchParams> {
    const type = c.req.header('content-type') ?? '';
    if (!/^application\/x-www-form-urlencoded\b/i.test(type)) {
      throw new IsotypError('ISOTYP_UNSUPPORTED_MEDIA_TYPE', 'The console takes this form as a web form.', {
        hint: 'Use the sign-in page.',
      });
    }
    const bytes = await readBodyLimited(c.req.raw, FORM_LIMIT_BYTES);
    return new URLSearchParams(new TextDecoder().decode(bytes));
  }
}

/** The body text as sent; the API behind judges it with its strict JSON rules. */
async function readJson(c: Context<AppEnv>): Promise<string> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new IsotypError('ISOTYP_UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json.');
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(await readBodyLimited(c.req.raw, JSON_LIMIT_BYTES));
}

function idempotencyKeyOf(c: Context<AppEnv>): string | undefined {
  const key = c.req.header('idempotency-key');
  return key !== undefined && /^[A-Za-z0-9_-]{8,128}$/.test(key) ? key : undefined;
}

function signInAgain(): IsotypError {
  return new IsotypError('ISOTYP_UNAUTHENTICATED', 'Your console session has ended.', {
    hint: 'Sign in again; your signature was not sent.',
  });
}

interface WhoAmI {
  kind: 'user' | 'ci' | 'agent';
  orgId: string;
  userId?: string;
  email?: string;
  grants?: { role: RoleGrantRecord['role']; scope: RoleGrantRecord['scope'] }[];
}

/** Why this viewer cannot sign `layer`, as the page says it (the server decides in the end). */
function blockedFrom(
  layer: string,
  role: string,
  ctx: {
    canApprove: boolean;
    isAuthor: boolean;
    keyRoles: Set<string>;
    review: ApprovalEvaluation | undefined;
    viewerId: string;
  },
): { blocked?: string } {
  if (!ctx.canApprove) return { blocked: 'Your role does not let you approve changes in this environment.' };
  if (ctx.isAuthor) return { blocked: 'You wrote this change: somebody else signs it (separation of duties).' };
  const signed = ctx.review?.accepted.find((a) => a.userId === ctx.viewerId);
  if (signed !== undefined && signed.layer !== layer) {
    return { blocked: `You signed the “${signed.layer}” layer; one person signs one layer.` };
  }
  if (signed !== undefined) return { blocked: 'You signed this layer.' };
  if (ctx.keyRoles.size === 0) {
    return {
      blocked: 'Your key is not in the organisation’s keyring yet: ask an admin to run isotyp org sign-keyring.',
    };
  }
  if (!ctx.keyRoles.has(role)) return { blocked: `This layer needs a signer with the ${role} role in the keyring.` };
  return {};
}

function pageStatus(error: ApiError): 400 | 403 | 404 | 409 | 429 | 500 {
  const allowed = [400, 403, 404, 409, 429] as const;
  return (allowed as readonly number[]).includes(error.status) ? (error.status as 400 | 403 | 404 | 409 | 429) : 500;
}

/** Only a console path may follow sign-in. */
function returnPath(value: string | undefined): string {
  try {
    const path = safeReturnTo(value);
    return path.startsWith('/console') ? path : '/console/approvals';
  } catch {
    return '/console/approvals';
  }
}

function asset(c: Context<AppEnv>, file: { body: string; hash: string; type: string }) {
  const versioned = c.req.query('v') === file.hash;
  return c.body(file.body, 200, {
    'content-type': file.type,
    'cache-control': versioned ? 'public, max-age=31536000, immutable' : 'no-cache',
    etag: `"${file.hash}"`,
  });
}

function html(c: Context<AppEnv>, element: Child, status: 200 | 401 | 403 | 404 | 409 | 429 | 400 | 500 = 200) {
  return c.html(
    <>
      {raw('<!DOCTYPE html>')}
      {element}
    </>,
    status,
  );
}

/** Display names for the ids on a page: people, targets and environments the viewer may see. */
async function loadNames(api: ConsoleApi): Promise<Names> {
  const [people, targets, projects] = await Promise.all([
    api.tryGet<{ people: { id: string; email: string; displayName: string }[] }>('/v1/people'),
    api.tryGet<{ targets: TargetView[] }>('/v1/targets'),
    api.tryGet<{ projects: { id: string; name: string }[] }>('/v1/projects'),
  ]);
  const projectList = projects.ok ? projects.body.projects : [];
  const environments = await Promise.all(
    projectList.map((project) =>
      api.tryGet<{ environments: { id: string; name: string; privacyMode: string }[] }>(
        `/v1/projects/${encodeURIComponent(project.id)}/environments`,
      ),
    ),
  );
  const personNames = new Map((people.ok ? people.body.people : []).map((p) => [p.id, p.displayName || p.email]));
  const targetNames = new Map((targets.ok ? targets.body.targets : []).map((t) => [t.id, t.name]));
  const environmentNames = new Map<string, { name: string; privacyMode: string }>();
  projectList.forEach((project, i) => {
    const answer = environments[i];
    for (const env of answer?.ok ? answer.body.environments : []) {
      environmentNames.set(env.id, { name: `${project.name} / ${env.name}`, privacyMode: env.privacyMode });
    }
  });
  return {
    person: (id) => personNames.get(id) ?? id,
    target: (id) => targetNames.get(id) ?? id,
    environment: (id) => environmentNames.get(id) ?? { name: id },
  };
}

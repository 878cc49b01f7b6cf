/** @jsxImportSource hono/jsx */
import { IsotypError } from '@isotyp/protocol';
import { type Context, Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Child } from 'hono/jsx';
import type { Logger } from 'pino';
import type { ControlPlaneConfig } from '../config.js';
import type { AppEnv } from '../context.js';
import { can } from '../identity/rbac.js';
import { type ApiFetch, ConsoleApi, ConsoleApiError } from './api.js';
import { loadConsoleAssets } from './assets.js';
import { type AssetUrls, BarePage, ErrorNotice, Page, type Section } from './layout.js';
import { blockedFrom, loadNames } from './page-data.js';
import { AgentsPage, type AgentView } from './pages/agents.js';
import { type AgentCheckpointRow, type AuditEntryView, AuditPage, type CheckpointView } from './pages/audit.js';
import {
  ApprovalsInbox,
  type ChangeDetail,
  ChangePage,
  type ChangeSummary,
  ChangesPage,
  type SignableLayer,
} from './pages/changes.js';
import { KeysPage, type RegisteredKey } from './pages/keys.js';
import { SignInPage } from './pages/sign-in.js';
import { SuggestionsPage, type SuggestionView } from './pages/suggestions.js';
import { type SchemaVersionView, TargetPage, TargetsPage, type TargetView } from './pages/targets.js';
import { idempotencyKeyOf, readForm, readJson, returnPath, signInAgain } from './requests.js';
import { asset, html, pageStatus } from './responses.js';
import {
  CONSOLE_REFRESH_COOKIE,
  checkCsrf,
  checkOrigin,
  clearSession,
  type SessionTokens,
  setSession,
} from './session.js';
import { type Session, sessionResolver } from './signed-in.js';

export interface ConsoleDeps {
  config: ControlPlaneConfig;
  logger: Logger;
  /** The control plane's own API, called in-process as the signed-in person. */
  fetchApi: ApiFetch;
  now?: () => Date;
  /** Tests: another bundle than the built one. */
  scriptPath?: string;
}

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
  const session = sessionResolver({ fetchApi: deps.fetchApi, now, cookies });

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
}

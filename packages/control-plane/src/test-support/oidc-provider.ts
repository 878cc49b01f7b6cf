/**
 * A real OpenID Provider on loopback for tests of the control plane's OIDC sign-in: the
 * certified `oidc-provider` package with the device flow on, PKCE required, its in-memory
 * adapter, and the smallest interaction pages a test can drive with plain `fetch` — a login
 * form that picks an account by login name, and automatic consent. `TestBrowser` plays the
 * user's browser: it carries cookies and follows redirects one hop at a time.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
// @ts-expect-error oidc-provider ships no type declarations; `OidcProvider` below types what we use.
import ProviderModule from 'oidc-provider';

/** Client metadata as oidc-provider takes it (RFC 7591 names). */
export interface TestIdpClient {
  client_id: string;
  client_secret?: string;
  redirect_uris?: string[];
  grant_types?: string[];
  response_types?: string[];
  token_endpoint_auth_method?: string;
  [metadata: string]: unknown;
}

export interface TestIdpOptions {
  clients: TestIdpClient[];
  /** Accounts by subject; the claims are released as the scopes allow (`email`, `name`, …). */
  accounts: Record<string, Record<string, unknown>>;
  /** Device-code lifetime in seconds (default 600). */
  deviceCodeTtlSeconds?: number;
  /** Listen on this port (e.g. to bring a stopped provider back at the same issuer); default a free one. */
  port?: number;
}

export interface TestIdp {
  /** `http://127.0.0.1:<port>`, as the provider writes it into `iss`. */
  issuer: string;
  close(): Promise<void>;
}

interface InteractionDetails {
  uid: string;
  prompt: { name: string; details: Record<string, unknown> };
  params: Record<string, unknown>;
  session?: { accountId?: string };
  grantId?: string;
}

interface GrantInstance {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(resource: string, scope: string): void;
  save(): Promise<string>;
}

interface OidcProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  Grant: {
    new (init: { accountId: string; clientId: string }): GrantInstance;
    find(id: string): Promise<GrantInstance | undefined>;
  };
}

const Provider = ProviderModule as new (issuer: string, configuration: Record<string, unknown>) => OidcProvider;

/**
 * Starts a provider on 127.0.0.1 on a free port.
 *
 * @example
 * const idp = await startTestIdp({
 *   clients: [{ client_id: 'isotyp', client_secret: 's3cret', redirect_uris: ['http://cp.test/v1/auth/oidc/callback'] }],
 *   accounts: { 'alice-sub': { email: 'alice@example.com', name: 'Alice' } },
 * });
 */
export async function startTestIdp(options: TestIdpOptions): Promise<TestIdp> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'test-idp-1', alg: 'RS256', use: 'sig' };
  let handle: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server = createServer((req, res) => {
    if (handle === undefined) res.writeHead(503).end();
    else handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const accountByLogin = (login: string): string | undefined =>
    Object.entries(options.accounts).find(
      ([sub, claims]) => sub === login || claims.email === login || claims.preferred_username === login,
    )?.[0];

  const provider = new Provider(issuer, {
    clients: options.clients,
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'] },
    features: {
      devInteractions: { enabled: false },
      deviceFlow: {
        enabled: true,
        userCodeInputSource: (ctx: { body: string }, form: string) => {
          ctx.body = page('Enter code', form);
        },
        userCodeConfirmSource: (ctx: { body: string }, form: string) => {
          ctx.body = page('Confirm device', form);
        },
        successSource: (ctx: { body: string }) => {
          ctx.body = page('Signed in', '<p>You can close this page.</p>');
        },
      },
    },
    pkce: { required: () => true },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx: unknown, sub: string) => {
      const claims = options.accounts[sub];
      return claims === undefined ? undefined : { accountId: sub, claims: () => ({ ...claims, sub }) };
    },
    renderError: (ctx: { type: string; body: string }, out: Record<string, string>) => {
      ctx.type = 'html';
      ctx.body = page('Error', `<pre>${escapeHtml(JSON.stringify(out))}</pre>`);
    },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      DeviceCode: options.deviceCodeTtlSeconds ?? 600,
      Grant: 3600,
      IdToken: 600,
      Interaction: 600,
      RefreshToken: 3600,
      Session: 3600,
    },
  });
  const providerCallback = provider.callback();

  handle = (req, res) => {
    const match = /^\/interaction\/([\w-]+)(\/login|\/abort)?$/.exec(new URL(req.url ?? '/', issuer).pathname);
    if (match === null) {
      providerCallback(req, res);
      return;
    }
    interaction(provider, req, res, match[2], accountByLogin).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
    });
  };

  return {
    issuer,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The provider's interaction pages: a login form by login name, and consent given without asking. */
async function interaction(
  provider: OidcProvider,
  req: IncomingMessage,
  res: ServerResponse,
  action: string | undefined,
  accountByLogin: (login: string) => string | undefined,
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (action === '/abort') {
    await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The user said no.' });
    return;
  }
  if (action === '/login' && req.method === 'POST') {
    const login = new URLSearchParams(await readBody(req)).get('login') ?? '';
    const accountId = accountByLogin(login);
    if (accountId === undefined) {
      res.writeHead(200, { 'content-type': 'text/html' }).end(loginForm(details.uid, 'Unknown login.'));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
    return;
  }
  if (details.prompt.name === 'consent') {
    const accountId = details.session?.accountId ?? '';
    const clientId = String(details.params.client_id);
    const grant =
      (details.grantId === undefined ? undefined : await provider.Grant.find(details.grantId)) ??
      new provider.Grant({ accountId, clientId });
    const missing = details.prompt.details;
    if (Array.isArray(missing.missingOIDCScope)) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (Array.isArray(missing.missingOIDCClaims)) grant.addOIDCClaims(missing.missingOIDCClaims as string[]);
    const resourceScopes = (missing.missingResourceScopes ?? {}) as Record<string, string[]>;
    for (const [resource, scopes] of Object.entries(resourceScopes)) grant.addResourceScope(resource, scopes.join(' '));
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }
  res.writeHead(200, { 'content-type': 'text/html' }).end(loginForm(details.uid));
}

function loginForm(uid: string, error?: string): string {
  return page(
    'Sign in',
    `${error === undefined ? '' : `<p class="error">${escapeHtml(error)}</p>`}
<form id="login" method="post" action="/interaction/${uid}/login"><input type="text" name="login"/></form>
<form id="abort" method="post" action="/interaction/${uid}/abort"></form>`,
  );
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The fields of an HTML form: its action and its inputs (hidden ones and those with a value). */
export interface HtmlForm {
  action: string;
  fields: Record<string, string>;
}

/**
 * Reads the form with `id` (or the first form) out of a page. Enough for the provider's own
 * pages, which are machine-written; not a general HTML parser.
 */
export function readForm(html: string, id?: string): HtmlForm {
  const forms = [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)];
  const form = forms.find((f) => id === undefined || attribute(f[1] ?? '', 'id') === id);
  if (form === undefined)
    throw new Error(`No form${id === undefined ? '' : ` #${id}`} in the page: ${html.slice(0, 300)}`);
  const fields: Record<string, string> = {};
  for (const input of (form[2] ?? '').matchAll(/<input\b([^>]*)>/g)) {
    const name = attribute(input[1] ?? '', 'name');
    if (name !== undefined) fields[name] = attribute(input[1] ?? '', 'value') ?? '';
  }
  return { action: attribute(form[1] ?? '', 'action') ?? '', fields };
}

function attribute(attributes: string, name: string): string | undefined {
  const value = new RegExp(`\\b${name}="([^"]*)"`).exec(attributes)?.[1];
  return value === undefined ? undefined : unescapeHtml(value);
}

function unescapeHtml(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/&#x([\da-f]+);/gi, (_, code: string) => String.fromCharCode(Number.parseInt(code, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Serves one origin in process (e.g. `app.request` of a Hono app) instead of over a socket. */
export type InProcessOrigin = (request: Request) => Response | Promise<Response>;

export interface NavigateOptions {
  method?: 'GET' | 'POST';
  form?: Record<string, string>;
  /** Stop before requesting a redirect target for which this is true; the result's `url` is that target. */
  stopAt?: (url: URL) => boolean;
}

export interface Navigation {
  /** The URL of `response`, or the redirect target navigation stopped at. */
  url: URL;
  response: Response;
  stopped: boolean;
}

/**
 * A user's browser reduced to what a redirect dance needs: a cookie jar (by host and path) and
 * manual redirect following. Origins in `inProcess` are answered by a function, not the network.
 */
export class TestBrowser {
  readonly #cookies = new Map<string, { name: string; value: string; path: string; host: string }>();
  readonly #inProcess: Record<string, InProcessOrigin>;

  constructor(inProcess: Record<string, InProcessOrigin> = {}) {
    this.#inProcess = inProcess;
  }

  /** Cookies the browser would send to `url`, as a `cookie` header value. */
  cookieHeader(url: URL): string {
    return [...this.#cookies.values()]
      .filter((c) => c.host === url.host && url.pathname.startsWith(c.path))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  /** One request, no redirect following; `set-cookie` answers go into the jar. */
  async request(target: URL | string, options: Omit<NavigateOptions, 'stopAt'> = {}): Promise<Response> {
    const url = new URL(target);
    const headers = new Headers();
    const cookie = this.cookieHeader(url);
    if (cookie !== '') headers.set('cookie', cookie);
    let body: string | undefined;
    if (options.form !== undefined) {
      headers.set('content-type', 'application/x-www-form-urlencoded');
      body = new URLSearchParams(options.form).toString();
    }
    const request = new Request(url, {
      method: options.method ?? (body ? 'POST' : 'GET'),
      headers,
      body,
      redirect: 'manual',
    });
    const local = this.#inProcess[url.origin];
    const response = local === undefined ? await fetch(request) : await local(request);
    this.#store(url, response.headers.getSetCookie());
    return response;
  }

  /** Requests `target` and follows redirects (as GET) until a non-redirect answer or `stopAt`. */
  async navigate(target: URL | string, options: NavigateOptions = {}): Promise<Navigation> {
    let url = new URL(target);
    let response = await this.request(url, options);
    for (let hops = 0; hops < 20; hops += 1) {
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || location === null)
        return { url, response, stopped: false };
      url = new URL(location, url);
      if (options.stopAt?.(url)) return { url, response, stopped: true };
      response = await this.request(url);
    }
    throw new Error(`Too many redirects, last ${url.href}`);
  }

  /** Submits a form read from `page` (at `pageUrl`), with `extra` fields over its own. */
  async submit(pageUrl: URL, form: HtmlForm, extra: Record<string, string> = {}, stopAt?: (url: URL) => boolean) {
    return this.navigate(new URL(form.action, pageUrl), {
      method: 'POST',
      form: { ...form.fields, ...extra },
      ...(stopAt === undefined ? {} : { stopAt }),
    });
  }

  #store(url: URL, setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const attr = (key: string) =>
        attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1) ?? undefined;
      const path = attr('path') ?? '/';
      const key = `${url.host}|${path}|${name}`;
      const maxAge = attr('max-age');
      const expires = attr('expires');
      const expired =
        (maxAge !== undefined && Number(maxAge) <= 0) ||
        (expires !== undefined && Date.parse(expires) <= Date.now()) ||
        value === '';
      if (expired) this.#cookies.delete(key);
      else this.#cookies.set(key, { name, value, path, host: url.host });
    }
  }
}

/**
 * Signs `login` in at the provider from its login page (as reached by navigating to an
 * authorization URL), then follows the redirects until `stopAt` (typically the client's
 * redirect URI).
 */
export async function signInAtIdp(
  browser: TestBrowser,
  loginPage: Navigation,
  login: string,
  stopAt: (url: URL) => boolean,
): Promise<Navigation> {
  const html = await loginPage.response.text();
  return browser.submit(loginPage.url, readForm(html, 'login'), { login }, stopAt);
}

/**
 * Plays the user on the provider's device pages: opens `verificationUriComplete`, confirms the
 * code, signs in as `login` — or, with `decision: 'abort'`, presses the page's abort button.
 * Returns the last page's text.
 */
export async function answerDeviceCode(
  browser: TestBrowser,
  verificationUriComplete: string,
  login: string,
  decision: 'confirm' | 'abort' = 'confirm',
): Promise<string> {
  // The complete URI answers with a self-submitting form (user_code + xsrf).
  const autoPost = await browser.navigate(verificationUriComplete);
  const confirmPage = await browser.submit(autoPost.url, readForm(await autoPost.response.text()));
  const confirmForm = readForm(await confirmPage.response.text(), 'op.deviceConfirmForm');
  if (decision === 'abort') {
    const { confirm: _confirm, ...fields } = confirmForm.fields;
    const aborted = await browser.submit(confirmPage.url, { action: confirmForm.action, fields }, { abort: 'yes' });
    return aborted.response.text();
  }
  const loginPage = await browser.submit(confirmPage.url, confirmForm);
  const done = await signInAtIdp(browser, loginPage, login, () => false);
  return done.response.text();
}

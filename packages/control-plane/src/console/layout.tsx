/** @jsxImportSource hono/jsx */
import type { Child } from 'hono/jsx';
import type { ApiError } from './api.js';

/** The signed-in person, as whoami tells the console. */
export interface Viewer {
  orgId: string;
  userId: string;
  email: string;
  roles: string[];
}

/** Where each asset is served, with its content hash for caching. */
export interface AssetUrls {
  css: string;
  js: string;
}

export type Section = 'approvals' | 'changes' | 'suggestions' | 'targets' | 'agents' | 'audit' | 'keys';

const NAV: { section: Section; href: string; label: string }[] = [
  { section: 'approvals', href: '/console/approvals', label: 'Approvals' },
  { section: 'changes', href: '/console/changes', label: 'Changes' },
  { section: 'suggestions', href: '/console/suggestions', label: 'Suggestions' },
  { section: 'targets', href: '/console/targets', label: 'Targets' },
  { section: 'agents', href: '/console/agents', label: 'Agents' },
  { section: 'audit', href: '/console/audit', label: 'Audit' },
  { section: 'keys', href: '/console/keys', label: 'Signing key' },
];

function Head(props: { title: string; assets: AssetUrls; csrf?: string | undefined }) {
  return (
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="referrer" content="same-origin" />
      {props.csrf === undefined ? null : <meta name="csrf-token" content={props.csrf} />}
      <title>{`${props.title} · Isotyp`}</title>
      <link rel="stylesheet" href={props.assets.css} />
      <script src={props.assets.js} defer />
    </head>
  );
}

function Brand() {
  return (
    <a class="brand" href="/console/approvals">
      <span class="brand-mark" aria-hidden="true">
        ◆
      </span>
      Isotyp
    </a>
  );
}

/** A signed-in page: navigation on the side, the page in `main`. */
export function Page(props: {
  title: string;
  section: Section;
  viewer: Viewer;
  csrf: string | undefined;
  assets: AssetUrls;
  children?: Child;
}) {
  const { viewer } = props;
  return (
    <html lang="en">
      <Head title={props.title} assets={props.assets} csrf={props.csrf} />
      <body data-org={viewer.orgId} data-user={viewer.userId}>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <div class="shell">
          <aside class="side">
            <Brand />
            <nav aria-label="Console">
              <ul>
                {NAV.map((item) => (
                  <li>
                    <a href={item.href} aria-current={item.section === props.section ? 'page' : undefined}>
                      {item.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
            <div class="who">
              <span>
                Signed in as <strong>{viewer.email}</strong>
              </span>
              <span>
                {viewer.orgId} · {viewer.roles.length === 0 ? 'no role' : viewer.roles.join(', ')}
              </span>
              <form method="post" action="/console/sign-out">
                <input type="hidden" name="_csrf" value={props.csrf ?? ''} />
                <button type="submit">Sign out</button>
              </form>
            </div>
          </aside>
          <main id="main" tabindex={-1}>
            {props.children}
          </main>
        </div>
      </body>
    </html>
  );
}

/** A page without the navigation: sign-in, and errors before anyone is known. */
export function BarePage(props: { title: string; assets: AssetUrls; children?: Child }) {
  return (
    <html lang="en">
      <Head title={props.title} assets={props.assets} />
      <body>
        <main id="main" class="signin">
          <div class="panel">
            <Brand />
            {props.children}
          </div>
        </main>
      </body>
    </html>
  );
}

/** An API error, said plainly: the sentence, the hint, and the code to search for. */
export function ErrorNotice(props: { error: ApiError; title?: string }) {
  return (
    <div class="alert alert-error" role="alert">
      <strong>{props.title ?? 'That did not work.'}</strong> {props.error.message}
      {props.error.hint === undefined ? null : <div>{props.error.hint}</div>}
      <div class="muted">
        <code>{props.error.code}</code>
      </div>
    </div>
  );
}

/** What to do when a list is empty. */
export function Empty(props: { title: string; children?: Child }) {
  return (
    <div class="empty">
      <strong>{props.title}</strong>
      {props.children}
    </div>
  );
}

/** A table with a header row of column names; rows are the children. */
export function DataTable(props: { headers: string[]; children?: Child }) {
  return (
    <table>
      <thead>
        <tr>
          {props.headers.map((header) => (
            <th scope="col">{header}</th>
          ))}
        </tr>
      </thead>
      <tbody>{props.children}</tbody>
    </table>
  );
}

type Tone = 'safe' | 'caution' | 'danger' | 'info' | 'neutral';

/** A coloured pill; `label` names what it measures for screen readers ("Risk: "), never colour alone. */
export function Badge(props: { tone: Tone; children?: Child; label?: string }) {
  return (
    <span class={`badge tone-${props.tone}`}>
      {props.label === undefined ? null : <span class="visually-hidden">{props.label}</span>}
      {props.children}
    </span>
  );
}

const RISK_TONE: Record<string, Tone> = { safe: 'safe', caution: 'caution', destructive: 'danger' };
export function RiskBadge(props: { risk: string }) {
  return (
    <Badge tone={RISK_TONE[props.risk] ?? 'neutral'} label="Risk: ">
      {props.risk}
    </Badge>
  );
}

const STATE_TONE: Record<string, Tone> = {
  draft: 'neutral',
  submitted: 'info',
  in_review: 'info',
  approved: 'safe',
  applying: 'caution',
  applied: 'safe',
  rejected: 'danger',
  failed: 'danger',
  rolled_back: 'caution',
  expired: 'neutral',
  superseded: 'neutral',
};
export function StateBadge(props: { state: string }) {
  return (
    <Badge tone={STATE_TONE[props.state] ?? 'neutral'} label="State: ">
      {props.state.replace('_', ' ')}
    </Badge>
  );
}

/** A timestamp shown in UTC, machine-readable in the element. */
export function Time(props: { at: string | undefined }) {
  if (props.at === undefined) return <span class="muted">never</span>;
  const text = `${props.at.slice(0, 16).replace('T', ' ')} UTC`;
  return <time datetime={props.at}>{text}</time>;
}

/** A digest shortened for reading, whole in its title and for copying. */
export function Digest(props: { value: string | undefined }) {
  if (props.value === undefined) return <span class="muted">—</span>;
  return (
    <span class="digest" title={props.value}>
      {props.value}
    </span>
  );
}

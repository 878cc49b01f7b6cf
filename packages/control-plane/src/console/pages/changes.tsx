/** @jsxImportSource hono/jsx */
import type { ApprovalEvaluation, LayerStatus, LintFinding, Manifest } from '@isotyp/protocol';
import { Badge, DataTable, Digest, Empty, RiskBadge, StateBadge, Time } from '../layout.js';

/** A change as GET /v1/changes lists it. */
export interface ChangeSummary {
  id: string;
  title: string;
  state: string;
  projectId: string;
  environmentId: string;
  targetId: string;
  fromVersion: string;
  toVersion: string;
  bump: string;
  authorUserId: string;
  manifest: Pick<Manifest, 'mode' | 'opCount' | 'risk' | 'dataLoss' | 'actions'>;
  lintCount: number;
  createdAt: string;
  updatedAt: string;
}

/** A change as GET /v1/changes/{id} shows it, with its approvals and review. */
export interface ChangeDetail extends Omit<ChangeSummary, 'manifest' | 'lintCount'> {
  fromDigest: string;
  toDigest: string;
  planDigest: string;
  manifestDigest: string;
  policyVersion: number;
  manifest: Manifest;
  lint: LintFinding[];
  reason?: string;
  approvals: { createdAt?: string; payload?: { nonce?: string; layer?: string; reason?: string } }[];
  review: ApprovalEvaluation | { error: string } | undefined;
}

/** Names for ids: people, targets, environments (what the viewer may see). */
export interface Names {
  person(id: string): string;
  target(id: string): string;
  environment(id: string): { name: string; privacyMode?: string };
}

export function ChangeTable(props: { changes: ChangeSummary[]; names: Names }) {
  return (
    <DataTable headers={['Change', 'Target', 'Risk', 'Version', 'State', 'Submitted']}>
      {props.changes.map((change) => (
        <tr>
          <td>
            <a href={`/console/changes/${encodeURIComponent(change.id)}`}>{change.title || change.id}</a>
            <div class="muted">
              by {props.names.person(change.authorUserId)} ·{' '}
              {`${change.manifest.opCount} operation${change.manifest.opCount === 1 ? '' : 's'}`}
              {change.lintCount > 0 ? ` · ${change.lintCount} lint finding${change.lintCount === 1 ? '' : 's'}` : ''}
            </div>
          </td>
          <td>
            {props.names.target(change.targetId)}
            <div class="muted">{props.names.environment(change.environmentId).name}</div>
          </td>
          <td>
            <RiskBadge risk={change.manifest.risk} />
            {change.manifest.dataLoss ? (
              <div>
                <Badge tone="danger">data loss</Badge>
              </div>
            ) : null}
          </td>
          <td>
            <span class="mono">
              {change.fromVersion} → {change.toVersion}
            </span>
            <div class="muted">{change.bump}</div>
          </td>
          <td>
            <StateBadge state={change.state} />
          </td>
          <td>
            <Time at={change.createdAt} />
          </td>
        </tr>
      ))}
    </DataTable>
  );
}

export function ApprovalsInbox(props: { waiting: ChangeSummary[]; recent: ChangeSummary[]; names: Names }) {
  return (
    <>
      <h1>Approvals</h1>
      <p class="lede">Changes waiting for a signature, and what was decided lately.</p>
      <section class="panel" aria-labelledby="waiting-title">
        <h2 id="waiting-title">Waiting for review ({props.waiting.length})</h2>
        {props.waiting.length === 0 ? (
          <Empty title="Nothing waits for a signature.">
            <p>
              A change appears here when someone runs <code>isotyp submit --plan plan.json --env ENV</code>. Make sure
              your signing key is set up on the <a href="/console/keys">Signing key</a> page before one arrives.
            </p>
          </Empty>
        ) : (
          <ChangeTable changes={props.waiting} names={props.names} />
        )}
      </section>
      <section class="panel" aria-labelledby="recent-title">
        <h2 id="recent-title">Recently decided</h2>
        {props.recent.length === 0 ? (
          <Empty title="No decisions yet.">
            <p>Approved, rejected and applied changes are listed here.</p>
          </Empty>
        ) : (
          <ChangeTable changes={props.recent} names={props.names} />
        )}
      </section>
    </>
  );
}

export function ChangesPage(props: { changes: ChangeSummary[]; names: Names; state: string | undefined }) {
  const states = ['', 'in_review', 'approved', 'applied', 'rejected', 'failed', 'rolled_back', 'draft', 'expired'];
  return (
    <>
      <h1>Changes</h1>
      <p class="lede">Every change request in your organisation, newest first.</p>
      <form method="get" action="/console/changes" class="actions panel">
        <label>
          State
          <select name="state">
            {states.map((state) => (
              <option value={state} selected={state === (props.state ?? '')}>
                {state === '' ? 'any' : state.replace('_', ' ')}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="secondary">
          Filter
        </button>
      </form>
      <section class="panel">
        {props.changes.length === 0 ? (
          <Empty title="No changes here yet.">
            <p>
              Plan one against a database with <code>isotyp plan --target URL --schema schema.sql --out plan.json</code>
              , then submit it with <code>isotyp submit</code>.
            </p>
          </Empty>
        ) : (
          <ChangeTable changes={props.changes} names={props.names} />
        )}
      </section>
    </>
  );
}

/** What the approval form signs, and whether this viewer may sign this layer. */
export interface SignableLayer {
  layer: LayerStatus;
  /** Why the viewer cannot sign it, when they cannot. */
  blocked?: string;
}

export function ChangePage(props: {
  change: ChangeDetail;
  names: Names;
  layers: SignableLayer[];
  viewerId: string;
  canApprove: boolean;
}) {
  const { change, names } = props;
  const environment = names.environment(change.environmentId);
  const review = change.review !== undefined && 'layers' in change.review ? change.review : undefined;
  const reviewOpen = ['submitted', 'in_review'].includes(change.state);
  const signedAt = new Map(change.approvals.map((a) => [a.payload?.nonce ?? '', a]));
  return (
    <>
      <p class="muted">
        <a href="/console/approvals">Approvals</a> / <span class="mono">{change.id}</span>
      </p>
      <div class="title-row">
        <h1>{change.title || change.id}</h1>
        <StateBadge state={change.state} />
        <RiskBadge risk={change.manifest.risk} />
        {change.manifest.dataLoss ? <Badge tone="danger">data loss</Badge> : null}
      </div>
      <p class="lede">
        {names.target(change.targetId)} in {environment.name} · submitted by {names.person(change.authorUserId)} on{' '}
        <Time at={change.createdAt} />
        {change.reason === undefined ? null : <> · reason: {change.reason}</>}
      </p>

      <div class="grid2">
        <section class="panel" aria-labelledby="facts-title">
          <h2 id="facts-title">What changes</h2>
          <dl class="facts">
            <dt>Version</dt>
            <dd class="mono">
              {change.fromVersion} → {change.toVersion} ({change.bump})
            </dd>
            <dt>Operations</dt>
            <dd>
              {change.manifest.opCount}
              {Object.keys(change.manifest.actions).length === 0
                ? null
                : ` — ${Object.entries(change.manifest.actions)
                    .map(([action, n]) => `${n} × ${action}`)
                    .join(', ')}`}
            </dd>
            <dt>Data loss</dt>
            <dd>{change.manifest.dataLoss ? 'yes — rows or columns are dropped' : 'no'}</dd>
            <dt>Transactional</dt>
            <dd>{change.manifest.nonTransactional ? 'no — some statements run outside a transaction' : 'yes'}</dd>
            <dt>Privacy mode</dt>
            <dd>{change.manifest.mode}</dd>
            <dt>Policy</dt>
            <dd>version {change.policyVersion}</dd>
          </dl>
        </section>
        <section class="panel" aria-labelledby="digests-title">
          <h2 id="digests-title">Digests</h2>
          <dl class="facts">
            <dt>Plan</dt>
            <dd>
              <Digest value={change.planDigest} />
            </dd>
            <dt>Manifest</dt>
            <dd>
              <Digest value={change.manifestDigest} />
            </dd>
            <dt>From schema</dt>
            <dd>
              <Digest value={change.fromDigest} />
            </dd>
            <dt>To schema</dt>
            <dd>
              <Digest value={change.toDigest} />
            </dd>
          </dl>
        </section>
      </div>

      <section class="panel" aria-labelledby="objects-title">
        <h2 id="objects-title">Objects and statements</h2>
        {change.manifest.objects === undefined ? (
          <p class="muted">
            This environment is in <strong>digest</strong> mode: object names and statements stay with the agent. The
            digests above are what you approve.
          </p>
        ) : (
          <DataTable headers={['Object', 'Kind', 'Action']}>
            {change.manifest.objects.map((object) => (
              <tr>
                <td class="mono">{object.namespace === null ? object.name : `${object.namespace}.${object.name}`}</td>
                <td>{object.kind}</td>
                <td>{object.action}</td>
              </tr>
            ))}
          </DataTable>
        )}
        {change.manifest.ddl === undefined ? (
          change.manifest.objects === undefined ? null : (
            <p class="muted">
              Statements are shown only in environments in <strong>full</strong> mode; this one is in{' '}
              {change.manifest.mode} mode.
            </p>
          )
        ) : (
          <section aria-label="DDL statements">
            <h3>Statements</h3>
            {/* Focusable, so a keyboard can scroll long statements sideways. */}
            <pre class="ddl" tabindex={0}>{`${change.manifest.ddl.join(';\n')};`}</pre>
          </section>
        )}
      </section>

      <section class="panel" aria-labelledby="lint-title">
        <h2 id="lint-title">Lint findings ({change.lint.length})</h2>
        {change.lint.length === 0 ? (
          <p class="muted">The linter found nothing to flag.</p>
        ) : (
          <DataTable headers={['Severity', 'Rule', 'Object']}>
            {change.lint.map((finding) => (
              <tr>
                <td>
                  <Badge
                    tone={finding.severity === 'error' ? 'danger' : finding.severity === 'warning' ? 'caution' : 'info'}
                  >
                    {finding.severity}
                  </Badge>
                </td>
                <td class="mono">{finding.rule}</td>
                <td class="mono">{finding.object === undefined ? '—' : finding.object.name}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </section>

      <section class="panel" aria-labelledby="review-title">
        <h2 id="review-title">Review</h2>
        {review === undefined ? (
          <p class="muted">The review cannot be evaluated (the organisation's trust documents are missing).</p>
        ) : (
          <>
            <p>
              {review.status === 'approved'
                ? 'Every layer that applies is signed.'
                : review.status === 'rejected'
                  ? 'An approver rejected this change.'
                  : `${review.layers.reduce((n, l) => n + l.missing, 0)} more signature(s) needed.`}
            </p>
            <div role="status" aria-live="polite" data-sign-status></div>
            {props.layers.map(({ layer, blocked }) => (
              <article class="layer" aria-labelledby={`layer-${layer.name}`}>
                <div class="layer-head">
                  <h3 id={`layer-${layer.name}`}>
                    Layer “{layer.name}” <span class="muted">· role {layer.role}</span>
                  </h3>
                  {!layer.applies ? (
                    <Badge tone="neutral">does not apply</Badge>
                  ) : layer.rejectedBy.length > 0 ? (
                    <Badge tone="danger">rejected</Badge>
                  ) : layer.missing === 0 ? (
                    <Badge tone="safe">signed</Badge>
                  ) : (
                    <Badge tone="caution">{`${layer.missing} more needed`}</Badge>
                  )}
                </div>
                <ul class="signers">
                  {review.accepted
                    .filter((a) => a.layer === layer.name)
                    .map((a) => (
                      <li>
                        {a.decision === 'approve' ? '✔ Approved' : '✖ Rejected'} by{' '}
                        <strong>{a.userId === props.viewerId ? 'you' : names.person(a.userId)}</strong> on{' '}
                        <Time at={signedAt.get(a.nonce)?.createdAt} /> <span class="muted">· key {a.keyId}</span>
                        {signedAt.get(a.nonce)?.payload?.reason === undefined ? null : (
                          <div class="muted">“{signedAt.get(a.nonce)?.payload?.reason}”</div>
                        )}
                      </li>
                    ))}
                </ul>
                {reviewOpen && layer.applies && layer.missing > 0 ? (
                  blocked === undefined ? (
                    <SignForm change={change} layer={layer.name} />
                  ) : (
                    <p class="muted">{blocked}</p>
                  )
                ) : null}
              </article>
            ))}
            {review.refused.length === 0 ? null : (
              <p class="muted">
                {review.refused.length} stored approval(s) no longer count (expired, or no longer in the keyring).
              </p>
            )}
          </>
        )}
        {props.canApprove ? null : (
          <p class="muted">Your role does not include approving changes; you can follow the review here.</p>
        )}
      </section>
      <p>
        <a href={`/console/audit?entity=${encodeURIComponent(`change:${change.id}`)}`}>This change's audit history</a>
      </p>
    </>
  );
}

/**
 * The approval form: everything the signature binds is in data attributes, read by the console
 * script, which signs in the browser with the key kept there and posts only the envelope.
 */
function SignForm(props: { change: ChangeDetail; layer: string }) {
  const id = `${props.layer}`;
  return (
    <form
      class="sign-form"
      data-approval
      data-change-id={props.change.id}
      data-target-id={props.change.targetId}
      data-plan-digest={props.change.planDigest}
      data-policy-version={String(props.change.policyVersion)}
      data-layer={props.layer}
    >
      <div class="row">
        <label>
          Valid for
          <select name="validity">
            <option value="3600">1 hour</option>
            <option value="86400" selected>
              24 hours
            </option>
            <option value="604800">7 days</option>
          </select>
        </label>
        <label>
          Key passphrase
          <input type="password" name="passphrase" autocomplete="current-password" required />
          <span class="help">Unlocks the signing key kept in this browser.</span>
        </label>
      </div>
      <label>
        Reason <span class="help">(required to reject; signed with your decision)</span>
        <textarea name="reason" maxlength={2000} />
      </label>
      <div class="actions">
        <button type="submit" name="decision" value="approve" class="approve" aria-label={`Approve layer ${id}`}>
          Approve
        </button>
        <button type="submit" name="decision" value="reject" class="reject" aria-label={`Reject layer ${id}`}>
          Reject
        </button>
      </div>
    </form>
  );
}

/** @jsxImportSource hono/jsx */
import { Badge, DataTable, Empty, RiskBadge, Time } from '../layout.js';
import type { Names } from './changes.js';

/** A suggestion as GET /v1/suggestions lists it. */
export interface SuggestionView {
  id: string;
  targetId: string;
  environmentId: string;
  kind: string;
  source: 'rule' | 'llm';
  objects: { kind: string; namespace: string | null; name: string }[];
  impact: string;
  confidence: number;
  risk: string;
  score: number;
  editCount: number;
  state: string;
  reason?: string;
  changeId?: string;
  lastSeenAt: string;
  projectId: string;
  /** The plan the target's agent drafted from it, once accepted. */
  draft?: {
    fromDigest: string;
    toDigest: string;
    planDigest: string;
    bump: string;
    title: string;
    manifest: unknown;
    lint: unknown[];
    draftedAt: string;
  };
}

const STATES = ['new', 'accepted', 'snoozed', 'rejected'];

/**
 * The advisor's queue: what agents and DBAs reported, best first. Accepting, rejecting (with a
 * reason) and snoozing are plain forms; drafting the change happens at the site, where the
 * proposal is kept (isotyp suggestions draft).
 */
export function SuggestionsPage(props: {
  suggestions: SuggestionView[];
  names: Names;
  state: string;
  canReview: boolean;
  csrf: string | undefined;
  notice?: string | undefined;
}) {
  return (
    <>
      <h1>Suggestions</h1>
      <p class="lede">
        What the schema advisor found at your sites, ranked by score. The proposals themselves stay at the site: this
        queue holds their kind, score and digest, with object names where the environment's privacy mode allows.
      </p>
      {props.notice === undefined ? null : (
        <div class="alert alert-ok" role="status">
          {props.notice}
        </div>
      )}
      <form method="get" action="/console/suggestions" class="actions panel">
        <label>
          State
          <select name="state">
            {STATES.map((state) => (
              <option value={state} selected={state === props.state}>
                {state}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="secondary">
          Show
        </button>
      </form>
      <section class="panel">
        {props.suggestions.length === 0 ? (
          <Empty title={`No ${props.state} suggestions.`}>
            <p>
              Run <code>isotyp suggest --target URL --report --env ENV</code> at a site to fill this queue.
            </p>
          </Empty>
        ) : (
          <DataTable headers={['Score', 'Suggestion', 'Target', 'Risk', props.state === 'new' ? 'Review' : 'Outcome']}>
            {props.suggestions.map((s) => (
              <tr>
                <td class="mono">{s.score}</td>
                <td>
                  <strong>{s.kind}</strong> {s.source === 'llm' ? <Badge tone="info">LLM</Badge> : null}
                  <div class="muted mono">
                    {s.objects.length === 0 ? 'names withheld (digest mode)' : s.objects.map((o) => o.name).join(', ')}
                  </div>
                  <div class="muted">
                    {s.impact} impact · confidence {s.confidence} ·{' '}
                    {s.editCount === 0 ? 'asks for a look' : `${s.editCount} edit(s)`} · seen <Time at={s.lastSeenAt} />
                  </div>
                </td>
                <td>
                  {props.names.target(s.targetId)}
                  <div class="muted">{props.names.environment(s.environmentId).name}</div>
                </td>
                <td>
                  <RiskBadge risk={s.risk} />
                </td>
                <td>
                  {s.state === 'new' && props.canReview ? (
                    <ReviewForm suggestion={s} csrf={props.csrf} />
                  ) : s.changeId !== undefined ? (
                    <a href={`/console/changes/${encodeURIComponent(s.changeId)}`}>change {s.changeId}</a>
                  ) : s.state === 'accepted' && s.draft !== undefined && props.canReview ? (
                    <SubmitDraftForm suggestion={s} draft={s.draft} />
                  ) : s.state === 'accepted' ? (
                    <span class="muted">
                      accepted: its agent drafts the change on its next rounds (or, at the site,{' '}
                      <code>isotyp suggestions draft {s.id}</code>)
                    </span>
                  ) : (
                    <span class="muted">
                      {s.state}
                      {s.reason === undefined ? '' : `: ${s.reason}`}
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </section>
    </>
  );
}

function ReviewForm(props: { suggestion: SuggestionView; csrf: string | undefined }) {
  const { suggestion } = props;
  return (
    <form method="post" action={`/console/suggestions/${encodeURIComponent(suggestion.id)}/review`} class="stack">
      <input type="hidden" name="_csrf" value={props.csrf ?? ''} />
      <label>
        Reason <span class="help">(required to reject)</span>
        <input name="reason" maxlength={2000} />
      </label>
      <div class="actions">
        {suggestion.editCount > 0 ? (
          <button type="submit" name="decision" value="accept" class="approve" aria-label={`Accept ${suggestion.kind}`}>
            Accept
          </button>
        ) : null}
        <button type="submit" name="decision" value="snooze" class="secondary" aria-label={`Snooze ${suggestion.kind}`}>
          Snooze 7 days
        </button>
        <button type="submit" name="decision" value="reject" class="reject" aria-label={`Reject ${suggestion.kind}`}>
          Reject
        </button>
      </div>
    </form>
  );
}

/**
 * Signing the plan the agent drafted, in the browser: the form carries what the submission
 * binds; the console script computes the manifest digest, signs with the key kept here and posts
 * the signed submission with the manifest and findings it covers.
 */
function SubmitDraftForm(props: { suggestion: SuggestionView; draft: NonNullable<SuggestionView['draft']> }) {
  const { suggestion, draft } = props;
  return (
    <form
      class="stack"
      data-submit-draft
      data-suggestion-id={suggestion.id}
      data-project={suggestion.projectId}
      data-environment={suggestion.environmentId}
      data-target={suggestion.targetId}
      data-draft={JSON.stringify({
        fromDigest: draft.fromDigest,
        toDigest: draft.toDigest,
        planDigest: draft.planDigest,
        bump: draft.bump,
        title: draft.title,
        manifest: draft.manifest,
        lint: draft.lint,
      })}
    >
      <span class="muted">
        Drafted by its agent <Time at={draft.draftedAt} />: <span class="digest">{draft.planDigest}</span>
      </span>
      <label>
        Key passphrase
        <input type="password" name="passphrase" autocomplete="current-password" required />
      </label>
      <div role="status" aria-live="polite" data-submit-status />
      <button type="submit" aria-label={`Sign and submit the change for ${suggestion.kind}`}>
        Sign and submit
      </button>
    </form>
  );
}

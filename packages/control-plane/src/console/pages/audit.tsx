/** @jsxImportSource hono/jsx */
import type { ApiError } from '../api.js';
import { Badge, DataTable, Digest, Empty, ErrorNotice, Time } from '../layout.js';

export interface AuditEntryView {
  seq: number;
  time: string;
  action: string;
  actor: string;
  entity: { kind: string; id: string };
  entry: string;
}

export interface CheckpointView {
  origin: string;
  size: number;
  root: string;
}

export interface AgentCheckpointRow {
  agentId: string;
  name: string;
  checkpoint?: { size: number; root: string; createdAt: string };
}

const KINDS = ['change', 'target', 'user', 'agent', 'environment', 'project', 'trust', 'token'];

/** Details of an entry, from its canonical text (which is what the log hashes). */
function detailsOf(entry: string): string {
  try {
    const details = (JSON.parse(entry) as { details?: unknown }).details;
    return details === undefined ? '' : JSON.stringify(details);
  } catch {
    return '';
  }
}

export function AuditPage(props: {
  entity: { kind: string; id: string } | undefined;
  entries: AuditEntryView[] | undefined;
  next: number | undefined;
  error: ApiError | undefined;
  checkpoint: CheckpointView | ApiError | undefined;
  agents: AgentCheckpointRow[];
  now: number;
  /** A person's name for `user:<id>` actors. */
  person: (id: string) => string;
}) {
  const checkpoint = props.checkpoint;
  return (
    <>
      <h1>Audit</h1>
      <p class="lede">
        Every action is an entry in a Merkle log. Look up one object's history, and check that the logs keep growing as
        signed checkpoints say.
      </p>
      <div class="grid2">
        <section class="panel" aria-labelledby="cp-title">
          <h2 id="cp-title">Control-plane log</h2>
          {checkpoint === undefined ? null : 'code' in checkpoint ? (
            <ErrorNotice error={checkpoint} title="No checkpoint." />
          ) : (
            <dl class="facts">
              <dt>Origin</dt>
              <dd class="mono">{checkpoint.origin}</dd>
              <dt>Entries</dt>
              <dd>{checkpoint.size.toLocaleString('en')}</dd>
              <dt>Root hash</dt>
              <dd>
                <Digest value={checkpoint.root} />
              </dd>
            </dl>
          )}
          <p class="muted">
            Verify it from a terminal: <code>isotyp audit verify --server URL</code>.
          </p>
        </section>
        <section class="panel" aria-labelledby="agent-cp-title">
          <h2 id="agent-cp-title">Agent checkpoints</h2>
          {props.agents.length === 0 ? (
            <p class="muted">No agent has enrolled yet.</p>
          ) : (
            <DataTable headers={['Agent', 'Entries', 'Last checkpoint']}>
              {props.agents.map((agent) => (
                <tr>
                  <td>{agent.name}</td>
                  <td>{agent.checkpoint === undefined ? '—' : agent.checkpoint.size.toLocaleString('en')}</td>
                  <td>
                    {agent.checkpoint === undefined ? (
                      <Badge tone="caution">none yet</Badge>
                    ) : props.now - Date.parse(agent.checkpoint.createdAt) > 15 * 60 * 1000 ? (
                      <Badge tone="caution">
                        <Time at={agent.checkpoint.createdAt} />
                      </Badge>
                    ) : (
                      <Badge tone="safe">
                        <Time at={agent.checkpoint.createdAt} />
                      </Badge>
                    )}
                  </td>
                </tr>
              ))}
            </DataTable>
          )}
        </section>
      </div>
      <section class="panel" aria-labelledby="history-title">
        <h2 id="history-title">History of one object</h2>
        <form method="get" action="/console/audit" class="actions below">
          <label>
            Kind
            <select name="kind">
              {KINDS.map((kind) => (
                <option value={kind} selected={kind === props.entity?.kind}>
                  {kind}
                </option>
              ))}
            </select>
          </label>
          <label>
            Id
            <input name="id" required value={props.entity?.id ?? ''} placeholder="chg_…" size={32} />
          </label>
          <button type="submit" class="secondary">
            Show history
          </button>
        </form>
        {props.error === undefined ? null : <ErrorNotice error={props.error} />}
        {props.entries === undefined ? (
          <p class="muted">Pick an object, or open “audit history” from a change.</p>
        ) : props.entries.length === 0 ? (
          <Empty title="No entries for this object.">
            <p>Check the id; entries are kept per organisation.</p>
          </Empty>
        ) : (
          <DataTable headers={['#', 'When', 'Who', 'What', 'Details']}>
            {props.entries.map((entry) => (
              <tr>
                <td class="mono">{entry.seq}</td>
                <td>
                  <Time at={entry.time} />
                </td>
                <td class="mono">{entry.actor}</td>
                <td>{entry.action}</td>
                <td class="mono">{detailsOf(entry.entry)}</td>
              </tr>
            ))}
          </DataTable>
        )}
        {props.next === undefined || props.entity === undefined ? null : (
          <p>
            <a
              href={`/console/audit?kind=${encodeURIComponent(props.entity.kind)}&id=${encodeURIComponent(props.entity.id)}&after=${props.next}`}
            >
              Older entries →
            </a>
          </p>
        )}
      </section>
    </>
  );
}

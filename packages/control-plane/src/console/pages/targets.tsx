/** @jsxImportSource hono/jsx */
import { Badge, DataTable, Digest, Empty, Time } from '../layout.js';
import type { Names } from './changes.js';

export interface TargetView {
  id: string;
  name: string;
  dialect: string;
  projectId: string;
  environmentId: string;
  agentId?: string;
  version?: string;
  digest?: string;
  updatedAt: string;
}

export interface SchemaVersionView {
  version: string;
  digest: string;
  changeId?: string;
  createdAt: string;
}

export function TargetsPage(props: { targets: TargetView[]; names: Names; agents: Map<string, string> }) {
  return (
    <>
      <h1>Targets</h1>
      <p class="lede">The databases your agents manage, with the schema version each one is on.</p>
      <section class="panel">
        {props.targets.length === 0 ? (
          <Empty title="No targets yet.">
            <p>
              Add one with <code>isotyp targets create --project NAME --env ENV --name NAME --dialect postgres</code>,
              then assign it to an agent.
            </p>
          </Empty>
        ) : (
          <DataTable headers={['Target', 'Environment', 'Schema version', 'Agent', 'Updated']}>
            {props.targets.map((target) => (
              <tr>
                <td>
                  <a href={`/console/targets/${encodeURIComponent(target.id)}`}>{target.name}</a>
                  <div class="muted">{target.dialect}</div>
                </td>
                <td>
                  {props.names.environment(target.environmentId).name}
                  <div class="muted">{props.names.environment(target.environmentId).privacyMode} mode</div>
                </td>
                <td class="mono">{target.version ?? '—'}</td>
                <td>
                  {target.agentId === undefined ? (
                    <Badge tone="caution">no agent</Badge>
                  ) : (
                    (props.agents.get(target.agentId) ?? target.agentId)
                  )}
                </td>
                <td>
                  <Time at={target.updatedAt} />
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </section>
    </>
  );
}

export function TargetPage(props: { target: TargetView; versions: SchemaVersionView[]; names: Names }) {
  const { target } = props;
  const versions = [...props.versions].reverse();
  return (
    <>
      <p class="muted">
        <a href="/console/targets">Targets</a> / <span class="mono">{target.id}</span>
      </p>
      <h1>{target.name}</h1>
      <p class="lede">
        {target.dialect} · {props.names.environment(target.environmentId).name} · now on{' '}
        <span class="mono">{target.version ?? 'no version yet'}</span>
      </p>
      <section class="panel" aria-labelledby="history-title">
        <h2 id="history-title">Schema version history</h2>
        {versions.length === 0 ? (
          <Empty title="No schema version recorded yet.">
            <p>The first applied change records one.</p>
          </Empty>
        ) : (
          <DataTable headers={['Version', 'Digest', 'Change', 'Recorded']}>
            {versions.map((v) => (
              <tr>
                <td class="mono">{v.version}</td>
                <td>
                  <Digest value={v.digest} />
                </td>
                <td>
                  {v.changeId === undefined ? (
                    <span class="muted">baseline</span>
                  ) : (
                    <a href={`/console/changes/${encodeURIComponent(v.changeId)}`} class="mono">
                      {v.changeId}
                    </a>
                  )}
                </td>
                <td>
                  <Time at={v.createdAt} />
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </section>
    </>
  );
}

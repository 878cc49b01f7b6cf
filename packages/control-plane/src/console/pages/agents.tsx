/** @jsxImportSource hono/jsx */
import { Badge, DataTable, Empty, Time } from '../layout.js';

export interface AgentView {
  id: string;
  name: string;
  identityKeyId: string;
  certificateNotAfter: string;
  revokedAt?: string;
  lastSeenAt?: string;
  version?: string;
  report?: { targets?: { name?: string; drift?: boolean }[] };
  stale?: boolean;
}

const DAY_MS = 24 * 3600 * 1000;

export function AgentsPage(props: { agents: AgentView[]; now: number }) {
  return (
    <>
      <h1>Agents</h1>
      <p class="lede">The agents running beside your databases: when each was last heard, and whether it saw drift.</p>
      <section class="panel">
        {props.agents.length === 0 ? (
          <Empty title="No agent has enrolled yet.">
            <p>
              Make an enrolment token with <code>isotyp agents token --name NAME</code>, then run{' '}
              <code>isotyp agent enroll</code> on the database host.
            </p>
          </Empty>
        ) : (
          <DataTable headers={['Agent', 'Status', 'Last seen', 'Version', 'Drift', 'Certificate']}>
            {props.agents.map((agent) => {
              const drifted = (agent.report?.targets ?? []).filter((t) => t.drift === true);
              const left = Date.parse(agent.certificateNotAfter) - props.now;
              return (
                <tr>
                  <td>
                    {agent.name}
                    <div class="muted mono">{agent.id}</div>
                  </td>
                  <td>
                    {agent.revokedAt !== undefined ? (
                      <Badge tone="danger">revoked</Badge>
                    ) : agent.stale ? (
                      <Badge tone="caution">not heard from</Badge>
                    ) : (
                      <Badge tone="safe">online</Badge>
                    )}
                  </td>
                  <td>
                    <Time at={agent.lastSeenAt} />
                  </td>
                  <td class="mono">{agent.version ?? '—'}</td>
                  <td>
                    {agent.report === undefined ? (
                      <span class="muted">no report</span>
                    ) : drifted.length === 0 ? (
                      <Badge tone="safe">none</Badge>
                    ) : (
                      <Badge tone="danger">{`drift on ${drifted.map((t) => t.name ?? '?').join(', ')}`}</Badge>
                    )}
                  </td>
                  <td>
                    {left <= 0 ? (
                      <Badge tone="danger">expired</Badge>
                    ) : left < 3 * DAY_MS ? (
                      <Badge tone={left < 6 * 3600 * 1000 ? 'caution' : 'info'}>
                        {`expires in ${Math.max(1, Math.round(left / 3600_000))} h`}
                      </Badge>
                    ) : (
                      <Badge tone="safe">{`${Math.round(left / DAY_MS)} days left`}</Badge>
                    )}
                    <div class="muted">
                      <Time at={agent.certificateNotAfter} />
                    </div>
                  </td>
                </tr>
              );
            })}
          </DataTable>
        )}
      </section>
    </>
  );
}

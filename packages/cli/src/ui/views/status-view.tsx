import { Box, Text } from 'ink';

export interface FleetAgent {
  id: string;
  name: string;
  revokedAt?: string | undefined;
  lastSeenAt?: string | undefined;
  version?: string | undefined;
  stale?: boolean | undefined;
  certificateNotAfter: string;
  report?: unknown;
}

export interface PendingChange {
  id: string;
  title: string;
  state: string;
  manifest: { risk: string };
  createdAt: string;
}

const RISK_COLOUR: Record<string, string> = { safe: 'green', caution: 'yellow', destructive: 'red' };

/** Whether an agent's last report names a target whose schema drifted. */
export function drifted(agent: FleetAgent): string[] {
  const targets = (agent.report as { targets?: { name?: string; drift?: boolean }[] } | undefined)?.targets ?? [];
  return targets.filter((t) => t.drift === true).map((t) => t.name ?? '?');
}

/** One line per agent: its state, when it was last heard, its version, drift and certificate. */
export function agentLine(agent: FleetAgent, now: number): { state: string; colour: string; text: string } {
  const hours = Math.floor((Date.parse(agent.certificateNotAfter) - now) / 3600_000);
  const drift = drifted(agent);
  const state = agent.revokedAt !== undefined ? 'revoked' : agent.stale ? 'silent' : 'online';
  const colour = state === 'online' ? (drift.length > 0 ? 'yellow' : 'green') : state === 'silent' ? 'yellow' : 'red';
  const text = [
    agent.lastSeenAt === undefined ? 'never heard from' : `seen ${agent.lastSeenAt.slice(0, 19).replace('T', ' ')}`,
    agent.version === undefined ? '' : `v${agent.version}`,
    drift.length > 0 ? `DRIFT on ${drift.join(', ')}` : '',
    hours <= 0 ? 'certificate EXPIRED' : `certificate ${hours} h left`,
  ]
    .filter(Boolean)
    .join(' · ');
  return { state, colour, text };
}

/**
 * `isotyp status` on a terminal: the fleet (each agent's state, last heartbeat, version, drift,
 * certificate) and the changes waiting for review or for an agent.
 */
export function StatusView(props: { agents: FleetAgent[]; changes: PendingChange[]; now: number }) {
  return (
    <Box flexDirection="column">
      <Text bold>Fleet ({props.agents.length})</Text>
      {props.agents.length === 0 ? (
        <Text dimColor>No agent yet: isotyp agents token NAME, then isotyp agent enroll.</Text>
      ) : null}
      {props.agents.map((agent) => {
        const line = agentLine(agent, props.now);
        return (
          <Text key={agent.id}>
            <Text color={line.colour}>● {line.state.padEnd(7)}</Text> {agent.name.padEnd(20)}{' '}
            <Text dimColor>{line.text}</Text>
          </Text>
        );
      })}
      <Box marginTop={1}>
        <Text bold>Changes in flight ({props.changes.length})</Text>
      </Box>
      {props.changes.length === 0 ? <Text dimColor>Nothing waiting for review or for an agent.</Text> : null}
      {props.changes.map((change) => (
        <Text key={change.id}>
          <Text color={RISK_COLOUR[change.manifest.risk] ?? 'white'}>{change.manifest.risk.padEnd(11)}</Text>
          {change.state.padEnd(10)} {change.id} <Text bold>{change.title}</Text>
        </Text>
      ))}
    </Box>
  );
}

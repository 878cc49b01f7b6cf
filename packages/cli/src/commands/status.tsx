import { IsotypCommand } from '../base-command.js';
import { serverFlag } from '../control-plane-flags.js';
import type { FleetAgent, PendingChange } from '../ui/views/status-view.js';

export default class Status extends IsotypCommand {
  static override summary = 'The fleet and the changes in flight, at a glance.';
  static override description =
    'Each agent with its state (online, silent, revoked), last heartbeat, version, the drift it reported and how long its certificate has left; then the changes waiting for review or for an agent (submitted, in review, approved, applying). In colour on a terminal, plain lines otherwise, JSON with --json.';
  static override examples = [
    { description: 'Look at the fleet.', command: '<%= config.bin %> <%= command.id %>' },
    { description: 'For a monitoring script.', command: '<%= config.bin %> <%= command.id %> --json' },
  ];
  static override flags = { server: serverFlag };

  async run(): Promise<{ agents: FleetAgent[]; changes: PendingChange[] }> {
    const { flags } = await this.parse(Status);
    const [{ readStatus }, { connect }] = await Promise.all([
      import('../services/control-plane/review-backend.js'),
      import('../services/control-plane/connection.js'),
    ]);
    const status = await readStatus(connect({ server: flags.server }));
    if (this.jsonEnabled()) return status;
    const now = Date.now();
    if (process.stdout.isTTY) {
      const [{ render }, { StatusView }] = await Promise.all([import('ink'), import('../ui/views/status-view.js')]);
      const view = render(<StatusView agents={status.agents} changes={status.changes} now={now} />);
      view.unmount();
      await view.waitUntilExit();
    } else {
      const { agentLine } = await import('../ui/views/status-view.js');
      this.log(`Fleet (${status.agents.length})`);
      for (const agent of status.agents) {
        const line = agentLine(agent, now);
        this.log(`  ${line.state.padEnd(7)} ${agent.name.padEnd(20)} ${line.text}`);
      }
      this.log(`Changes in flight (${status.changes.length})`);
      for (const c of status.changes)
        this.log(`  ${c.manifest.risk.padEnd(11)} ${c.state.padEnd(10)} ${c.id} ${c.title}`);
    }
    return status;
  }
}

import { Flags } from '@oclif/core';
import { IsotypCommand } from '../base-command.js';
import { serverFlag } from '../control-plane-flags.js';
import { optionalTargetFlag } from '../flags.js';
import type { Check } from '../services/doctor.js';

export default class Doctor extends IsotypCommand {
  static override summary = 'Check this machine: Node, the secret store, a database, the control plane, the agent.';
  static override description =
    'Each check runs on its own and says what it found and, when something is wrong, what to do: the Node version; the secret store (the OS keychain through a Secret Service, or the encrypted vault); with --target, whether the database answers; the control plane (--server, ISOTYP_SERVER or your session) is reachable and ready; on an agent host, how long its certificate has left. Nothing is changed and no secret is shown. Exits 1 when a check fails.';
  static override examples = [
    { description: 'Check this machine.', command: '<%= config.bin %> <%= command.id %>' },
    {
      description: 'Also a database and a control plane.',
      command:
        '<%= config.bin %> <%= command.id %> --target postgres://dba@db.internal/shop --server https://isotyp.internal',
    },
  ];
  static override flags = {
    target: optionalTargetFlag,
    server: serverFlag,
    strict: Flags.boolean({ summary: 'Exit 1 on warnings too.' }),
  };

  async run(): Promise<{ ok: boolean; checks: Check[] }> {
    const { flags } = await this.parse(Doctor);
    const { runDoctor } = await import('../services/doctor.js');
    const checks = await runDoctor({ target: flags.target, server: flags.server });
    const ok = checks.every((c) => c.status !== 'fail' && (!flags.strict || c.status !== 'warn'));
    if (!this.jsonEnabled()) {
      const mark = { ok: '✓', warn: '!', fail: '✗', skip: '–' } as const;
      for (const check of checks) {
        this.log(`${mark[check.status]} ${check.name.padEnd(14)} ${check.detail}`);
        if (check.hint !== undefined && check.status !== 'ok') this.log(`  ${' '.repeat(14)} ${check.hint}`);
      }
    }
    if (!ok) {
      if (this.jsonEnabled()) this.logJson({ ok, checks });
      this.exit(1);
    }
    return { ok, checks };
  }
}

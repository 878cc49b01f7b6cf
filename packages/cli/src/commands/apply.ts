import type { ApplyResult } from '@isotyp/agent';
import { Flags } from '@oclif/core';
import { IsotypCommand } from '../base-command.js';
import { serverFlag } from '../control-plane-flags.js';
import { actorFlag, configFlag, targetFlag, yesFlag } from '../flags.js';

export default class Apply extends IsotypCommand {
  static override summary = 'Apply a saved plan, or an approved change request, to the database.';
  static override description =
    'With --plan: takes the target lock, refuses unless the live schema digest is the plan’s fromDigest (a plan for another database, or an edited plan file, is refused before any statement runs), applies every statement in one transaction, checks the result is exactly the plan’s toDigest and records the change in the target’s history (isotyp_history on SQLite, isotyp.history on PostgreSQL).\n\n' +
    'With --change: zero-trust apply of a change request. The agent plans against the live database from --schema and checks, on its own and before any statement runs, that this very plan is approved: the org root is the one pinned with --org-root, the keyring and the policy are signed by it, the approvals bind this change, this target (--target-id), this plan and this policy version, come from keyring keys with the layer’s role, are unexpired, are not the author’s, and their nonces were never used before here. The control plane is told applying, then applied (or failed). Any refusal is written to the local audit log and nothing is run.\n\n' +
    'Exit codes: 0 applied; 8 not approved (ISOTYP_NOT_APPROVED); 3 the live database gives another plan than the approved one (ISOTYP_DIGEST_MISMATCH); 77 an approval or trust document refused (ISOTYP_APPROVAL_INVALID, ISOTYP_APPROVAL_REPLAYED, ISOTYP_TRUST_MISMATCH); 69 the control plane or database unreachable; 5 a statement failed (nothing kept).';
  static override examples = [
    {
      description: 'Apply a reviewed plan.',
      command: '<%= config.bin %> <%= command.id %> --target sqlite:./chinook.db --plan plan.json --yes',
    },
    {
      description: 'In CI, with a token scoped to apply in this environment (ISOTYP_TOKEN, ISOTYP_SERVER).',
      command:
        '<%= config.bin %> <%= command.id %> --ci --change chg_8Hq2… --target "$DATABASE_URL" --schema schema.sql --target-id tgt_… --env prod --org-root ed25519:… --json',
    },
  ];
  static override flags = {
    target: targetFlag,
    plan: Flags.string({
      char: 'p',
      summary: 'Plan file written by isotyp plan --out.',
      exactlyOne: ['plan', 'change'],
    }),
    change: Flags.string({
      summary: 'Apply this approved change request (zero-trust: verified here).',
      exactlyOne: ['plan', 'change'],
    }),
    schema: Flags.string({
      char: 's',
      summary: 'With --change: the desired schema the change was planned from.',
      dependsOn: ['change'],
    }),
    'target-id': Flags.string({
      summary: "With --change: this database's target id in the control plane.",
      env: 'ISOTYP_TARGET_ID',
      dependsOn: ['change'],
    }),
    env: Flags.string({
      char: 'e',
      summary: 'With --change: the name of the environment this database belongs to.',
      env: 'ISOTYP_ENVIRONMENT',
      dependsOn: ['change'],
    }),
    'org-root': Flags.string({
      summary:
        'With --change: the org root key id to trust (ed25519:…); default: the one pinned by isotyp agent enroll.',
      env: 'ISOTYP_ORG_ROOT',
      dependsOn: ['change'],
    }),
    'dev-url': Flags.string({ summary: 'PostgreSQL: an empty database to load --schema into.', dependsOn: ['change'] }),
    config: configFlag,
    server: serverFlag,
    ci: Flags.boolean({
      summary: 'CI mode: never prompts (implies --yes); use with --json for a machine-readable result.',
      env: 'ISOTYP_CI',
    }),
    yes: yesFlag,
    actor: actorFlag,
  };

  async run(): Promise<ApplyResult> {
    const { flags } = await this.parse(Apply);
    // In CI nobody is there to confirm: the approvals (or the reviewed plan) are the confirmation.
    if (flags.ci) flags.yes = true;
    if (flags.change !== undefined) return this.applyChange(flags.change, flags);
    const { applyPlanFile, defaultActor, readPlanFile } = await import('../services/local.js');
    // Read (and verify) the plan first, so a bad file is reported before the confirmation.
    const plan = readPlanFile(flags.plan as string);
    await this.requireYes(flags.yes, `Applying ${plan.ops.length} operations`);
    const { progressWanted, withProgress } = await import('../ui/progress.js');
    const result = await withProgress(
      'Applying',
      (update) =>
        applyPlanFile(flags.target, flags.plan as string, flags.actor ?? defaultActor(), (phase, index, total) =>
          update(phase, { index, total }),
        ),
      progressWanted(this.jsonEnabled()),
    );
    this.log(
      `Applied ${result.planDigest}: ${result.statements} statements in ${result.durationMs} ms; ` +
        `schema ${result.fromVersion} → ${result.toVersion} (${result.toDigest}).`,
    );
    return result;
  }

  private async applyChange(
    changeId: string,
    flags: {
      target: string;
      schema?: string | undefined;
      'target-id'?: string | undefined;
      env?: string | undefined;
      'org-root'?: string | undefined;
      'dev-url'?: string | undefined;
      config?: string | undefined;
      server?: string | undefined;
      yes: boolean;
      actor?: string | undefined;
    },
  ): Promise<ApplyResult> {
    // An enrolled agent pinned its org root at enrolment: that pin stands in for --org-root.
    if (flags['org-root'] === undefined) {
      const { readAgentState } = await import('../services/agent/enrolment.js');
      flags['org-root'] = readAgentState()?.orgRoot?.keyId;
    }
    const missing = (['schema', 'target-id', 'env', 'org-root'] as const).filter((name) => flags[name] === undefined);
    if (missing.length > 0) {
      const { IsotypError } = await import('@isotyp/protocol');
      throw new IsotypError('ISOTYP_USAGE', `--change needs ${missing.map((m) => `--${m}`).join(', ')}.`, {
        hint: 'They bind the change to this database, its desired schema, its environment and the org root you trust: none of them is taken from the control plane.',
      });
    }
    const [{ applyGovernedChange }, { connect }, { defaultActor }] = await Promise.all([
      import('../services/control-plane/governed-apply.js'),
      import('../services/control-plane/connection.js'),
      import('../services/local.js'),
    ]);
    await this.requireYes(flags.yes, `Applying change ${changeId}`);
    const result = await applyGovernedChange(connect({ server: flags.server }), {
      changeId,
      target: flags.target,
      schema: flags.schema as string,
      targetId: flags['target-id'] as string,
      environment: flags.env as string,
      orgRoot: flags['org-root'] as string,
      actor: flags.actor ?? defaultActor(),
      devUrl: flags['dev-url'],
      config: flags.config,
    });
    if (!result.reported) {
      this.logToStderr(
        'The control plane could not be told the change is applied; the report is queued and goes first on the next run (or with isotyp agent start).',
      );
    }
    this.log(
      `Applied change ${changeId} (${result.planDigest}), approved by ${result.approvals
        .map((a) => `${a.userId} (${a.layer})`)
        .join(', ')}: ${result.statements} statements; schema ${result.fromVersion} → ${result.toVersion}.`,
    );
    return result;
  }
}

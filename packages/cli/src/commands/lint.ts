import type { Finding } from '@isotyp/agent';
import { Flags } from '@oclif/core';
import { IsotypCommand } from '../base-command.js';
import { configFlag, optionalTargetFlag } from '../flags.js';

interface LintOutput {
  findings: Finding[];
  errors: number;
  warnings: number;
}

export default class Lint extends IsotypCommand {
  static override summary = 'Check the change from a database to a schema file against the lint rules.';
  static override description =
    'Plans like isotyp plan and reports only the findings: destructive steps, locking hazards, backward-incompatible and data-dependent changes, SQLite rebuilds, hygiene. Rules that weigh locks read row counts from the target, locally. Exits 1 when any finding is an error. Configure severities in isotyp.json ({"lint": {"rules": {"CODE": "warning" | "off"}}}) and accept a finding with a `-- isotyp:lint-ignore CODE [OBJECT]` comment in the schema file.';
  static override examples = [
    {
      description: 'Lint a change.',
      command: '<%= config.bin %> <%= command.id %> --target sqlite:./chinook.db --schema schema.sql',
    },
    { description: 'List every rule.', command: '<%= config.bin %> <%= command.id %> --rules' },
  ];
  static override flags = {
    target: optionalTargetFlag,
    schema: Flags.string({ char: 's', summary: 'Desired state: a .sql file or a directory of .sql files.' }),
    rules: Flags.boolean({ summary: 'List the rules with their codes, severities and docs.' }),
    config: configFlag,
  };

  async run(): Promise<LintOutput | ReturnType<typeof import('@isotyp/agent').describeRules>> {
    const { flags } = await this.parse(Lint);
    if (flags.rules) {
      const [{ describeRules }, { renderTable }] = await Promise.all([
        import('@isotyp/agent'),
        import('../ui/table.js'),
      ]);
      const rules = describeRules();
      this.log(
        renderTable(rules, [
          { header: 'CODE', value: (r) => r.code },
          { header: 'SEVERITY', value: (r) => r.severity },
          { header: 'DIALECT', value: (r) => r.dialect },
          { header: 'WHAT', value: (r) => r.summary },
        ]),
      );
      return rules;
    }
    const { IsotypError } = await import('@isotyp/protocol');
    if (flags.target === undefined || flags.schema === undefined) {
      throw new IsotypError('ISOTYP_USAGE', 'Lint needs --target and --schema (or --rules).', {
        hint: 'See: isotyp lint --help',
      });
    }
    const { makePlan } = await import('../services/local.js');
    const plan = await makePlan(flags.target, flags.schema, {
      renames: [],
      concurrentIndexes: false,
      config: flags.config,
    });
    const output = {
      findings: plan.lint,
      errors: plan.lint.filter((f) => f.severity === 'error').length,
      warnings: plan.lint.filter((f) => f.severity === 'warning').length,
    };
    if (!this.jsonEnabled()) {
      for (const f of plan.lint) this.log(`${f.severity.padEnd(7)} ${f.rule.padEnd(38)} ${f.message}`);
      this.log(`${output.errors} errors, ${output.warnings} warnings in ${plan.plan.ops.length} operations.`);
    }
    if (output.errors > 0) {
      // Errors are an outcome CI branches on: print the findings, then exit 1.
      if (this.jsonEnabled()) this.logJson(output);
      this.exit(1);
    }
    return output;
  }
}

import type { Plan, PlanOperation } from '@isotyp/protocol';
import type { Style } from './style.js';

export interface PlanView {
  target: string;
  plan: Plan;
  semver: string;
  lint: { rule: string; severity: string; message: string }[];
  renameCandidates: { kind: string; table: string | null; from: string; to: string }[];
}

/**
 * A plan for people: a risk summary first, then each operation with its risk, lock and the
 * statements it runs. Destructive steps are red, caution yellow.
 */
export function formatPlan(view: PlanView, style: Style): string {
  const { plan } = view;
  const lines: string[] = [];
  const count = (risk: PlanOperation['risk']) => plan.ops.filter((op) => op.risk === risk).length;
  lines.push(`${style.bold('Plan')} for ${view.target}`);
  lines.push(`  from ${plan.fromDigest}`);
  lines.push(`  to   ${plan.toDigest}`);
  lines.push(`  plan ${plan.planDigest}`);
  if (plan.ops.length === 0) {
    lines.push('', style.green('No changes: the target already matches the schema.'));
    return lines.join('\n');
  }
  const dataLoss = plan.ops.filter((op) => op.dataLoss).length;
  lines.push(
    '',
    `${plan.ops.length} operation${plan.ops.length === 1 ? '' : 's'}: ` +
      `${style.green(`${count('safe')} safe`)}, ${style.yellow(`${count('caution')} caution`)}, ` +
      `${style.red(`${count('destructive')} destructive`)}` +
      (dataLoss > 0 ? style.red(` — ${dataLoss} lose data`) : '') +
      ` · semver ${style.bold(view.semver)}`,
  );
  plan.ops.forEach((op, i) => {
    const paint = op.risk === 'destructive' ? style.red : op.risk === 'caution' ? style.yellow : style.green;
    lines.push('', `${style.bold(`${i + 1}.`)} ${op.action} ${op.object.name}  ${paint(op.risk)} · lock ${op.lock}`);
    for (const sql of op.up) lines.push(indent(sql));
    if (op.down === null) lines.push(style.dim(`   irreversible: ${op.irreversibleReason ?? ''}`));
    if (!op.transactional) lines.push(style.yellow('   runs outside the transaction'));
  });
  if (view.lint.length > 0) lines.push('', style.bold('Lint'));
  for (const f of view.lint) {
    const paint = f.severity === 'error' ? style.red : f.severity === 'warning' ? style.yellow : style.dim;
    lines.push(`  ${paint(f.severity.padEnd(7))} ${f.rule}: ${f.message}`);
  }
  for (const c of view.renameCandidates) {
    const what = c.kind === 'column' ? `${c.table}.${c.from} → ${c.table}.${c.to}` : `${c.from} → ${c.to}`;
    lines.push(
      '',
      style.yellow(`Possible rename: ${what}. Planned as drop + add, which loses data.`),
      style.dim(`   To keep the data: --rename ${c.kind}:${c.kind === 'column' ? `${c.table}.` : ''}${c.from}=${c.to}`),
    );
  }
  return lines.join('\n');
}

function indent(sql: string): string {
  return sql
    .split('\n')
    .map((line) => `   ${line}`)
    .join('\n');
}

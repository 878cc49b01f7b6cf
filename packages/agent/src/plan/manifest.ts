import type { LintFinding, Manifest, Plan, PrivacyMode, Risk } from '@isotyp/protocol';

/** Risk classes from least to most severe; a manifest carries the worst of its operations. */
const RISK_ORDER: readonly Risk[] = ['safe', 'caution', 'destructive'];

/**
 * The privacy-filtered summary of a plan that may leave the site. The same function runs where
 * the plan is made (`isotyp submit`) and where it is applied (the agent recomputes it from its
 * own plan), so both reach the same manifest — and the same policy facts — for the same plan.
 *
 * - `digest`: counts, actions, the worst risk and the data-loss and non-transactional flags.
 * - `structure`: adds the object each operation touches, in plan order.
 * - `full`: adds the DDL (every `up` statement, in order).
 *
 * Fields are built one by one from the operations, never spread from them, so nothing a
 * mode does not allow can slip in.
 *
 * @example
 * const manifest = buildManifest(plan, 'structure');
 * manifest.objects; // [{ kind: 'column', namespace: 'main', name: 'Album.Title', action: 'drop-column' }]
 */
export function buildManifest(plan: Pick<Plan, 'ops'>, mode: PrivacyMode): Manifest {
  const actions: Record<string, number> = {};
  for (const op of plan.ops) actions[op.action] = (actions[op.action] ?? 0) + 1;
  const manifest: Manifest = {
    mode,
    opCount: plan.ops.length,
    actions: Object.fromEntries(Object.entries(actions).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    risk: worstRisk(plan.ops.map((op) => op.risk)),
    dataLoss: plan.ops.some((op) => op.dataLoss),
    nonTransactional: plan.ops.some((op) => !op.transactional),
  };
  switch (mode) {
    case 'digest':
      return manifest;
    case 'structure':
      return { ...manifest, objects: objectsOf(plan) };
    case 'full':
      return { ...manifest, objects: objectsOf(plan), ddl: plan.ops.flatMap((op) => op.up) };
    default: {
      const never: never = mode;
      return never;
    }
  }
}

/**
 * Lint findings as they may cross the wire: rule id and severity always; the object only when
 * the mode allows object names (`structure`, `full`). The local sentence (`message`), which
 * names objects too, never leaves.
 *
 * @example
 * wireLint(localFindings, 'digest'); // [{ rule: 'destructive/drop-column', severity: 'error' }]
 */
export function wireLint(findings: readonly LintFinding[], mode: PrivacyMode): LintFinding[] {
  return findings.map((finding) => {
    const wire: LintFinding = { rule: finding.rule, severity: finding.severity };
    if (mode !== 'digest' && finding.object !== undefined) {
      const { kind, namespace, name } = finding.object;
      wire.object = { kind, namespace, name };
    }
    return wire;
  });
}

function objectsOf(plan: Pick<Plan, 'ops'>): NonNullable<Manifest['objects']> {
  return plan.ops.map((op) => ({
    kind: op.object.kind,
    namespace: op.object.namespace,
    name: op.object.name,
    action: op.action,
  }));
}

function worstRisk(risks: readonly Risk[]): Risk {
  let worst = 0;
  for (const risk of risks) worst = Math.max(worst, RISK_ORDER.indexOf(risk));
  return RISK_ORDER[worst] ?? 'safe';
}

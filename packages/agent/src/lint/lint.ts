import { IsotypError, type LintFinding, type ObjectRef } from '@isotyp/protocol';
import type { LintContext, Severity } from './rule.js';
import { lintRules } from './rules/index.js';

/** Per-project settings: a rule's severity changed, or `off`. */
export interface LintConfig {
  rules?: Record<string, Severity | 'off'>;
}

/** `-- isotyp:lint-ignore CODE [OBJECT]` comments from the schema files. */
export interface LintSuppression {
  code: string;
  /** Limit to one object, as `table` or `table.column`; all objects when absent. */
  object?: string;
}

/** A finding as shown locally: the wire form plus a sentence naming the object. */
export interface Finding extends LintFinding {
  object: ObjectRef;
  message: string;
}

/**
 * Runs every enabled rule over a planned change. Unknown codes in the configuration or in a
 * suppression are refused, so a typo cannot silently switch a rule off.
 */
export function lintChange(
  context: LintContext,
  config: LintConfig = {},
  suppressions: LintSuppression[] = [],
): Finding[] {
  const known = new Set(lintRules.map((r) => r.code));
  for (const code of [...Object.keys(config.rules ?? {}), ...suppressions.map((s) => s.code)]) {
    if (!known.has(code)) {
      throw new IsotypError('ISOTYP_INVALID_INPUT', `Unknown lint rule ${code}.`, {
        hint: 'See isotyp lint --rules for the list of codes.',
      });
    }
  }
  const findings: Finding[] = [];
  for (const rule of lintRules) {
    if (rule.dialect !== undefined && rule.dialect !== context.dialect) continue;
    const setting = config.rules?.[rule.code] ?? rule.severity;
    if (setting === 'off') continue;
    for (const raw of rule.check(context)) {
      if (suppressions.some((s) => s.code === rule.code && (s.object === undefined || s.object === raw.object.name)))
        continue;
      findings.push({ rule: rule.code, severity: setting, object: raw.object, message: raw.message });
    }
  }
  return findings;
}

/** The rule list for documentation and `isotyp lint --rules`. */
export function describeRules(): { code: string; severity: Severity; dialect: string; summary: string }[] {
  return lintRules.map((r) => ({
    code: r.code,
    severity: r.severity,
    dialect: r.dialect ?? 'all',
    summary: r.summary,
  }));
}

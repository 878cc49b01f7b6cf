import { describe, expect, it } from 'vitest';
import { codeOf } from '../test-support/code-of.js';
import { compileCondition, evaluateCondition, MAX_CONDITION_LENGTH } from './cel.js';
import { type ChangeFacts, changeFacts } from './facts.js';
import { change, dev, manifest, prod } from './test-support/fixtures.js';

const facts = change.facts;
const run = (when: string, over: Partial<ChangeFacts> = {}, env = prod) =>
  evaluateCondition(when, 'test', { ...facts, ...over }, env);

describe('changeFacts', () => {
  it('copies what conditions may see, and nothing else', () => {
    const lint = [
      { rule: 'destructive/drop-column', severity: 'error' as const },
      { rule: 'destructive/drop-column', severity: 'error' as const },
      { rule: 'index/not-concurrent', severity: 'warning' as const },
    ];
    const built = changeFacts({ ...manifest, mode: 'full', ddl: ['ALTER TABLE orders DROP COLUMN x'] }, lint, 'major');
    expect(built).toEqual({
      bump: 'major',
      risk: 'destructive',
      dataLoss: true,
      nonTransactional: false,
      opCount: 2,
      actions: { 'add-index': 1, 'drop-column': 1 },
      lintRules: ['destructive/drop-column', 'index/not-concurrent'],
      lintErrors: 2,
      objects: manifest.objects,
    });
    const { objects: _, ...digestOnly } = manifest;
    expect('objects' in changeFacts({ ...digestOnly, mode: 'digest' }, [], 'patch')).toBe(false);
  });
});

describe('policy conditions', () => {
  it('decide over change and environment facts', () => {
    expect(run('change.dataLoss || change.bump == "major"')).toEqual({ ok: true, value: true });
    expect(run('change.dataLoss || change.bump == "major"', { dataLoss: false, bump: 'minor' })).toEqual({
      ok: true,
      value: false,
    });
    expect(run('environment.name == "prod"', {}, dev)).toEqual({ ok: true, value: false });
    expect(run('"destructive/drop-column" in change.lintRules && change.opCount >= 2')).toEqual({
      ok: true,
      value: true,
    });
    expect(run('change.actions["drop-column"] > 0 && change.lintErrors == 0')).toEqual({ ok: true, value: true });
    expect(run('change.objects.exists(o, o.kind == "column" && o.namespace == "public")')).toEqual({
      ok: true,
      value: true,
    });
    expect(run('has(change.objects) && environment.privacyMode == "structure"')).toEqual({ ok: true, value: true });
  });

  it('fail closed on a runtime error such as a missing field', () => {
    const missingKey = run('change.actions["drop-table"] > 0');
    expect(missingKey).toMatchObject({ ok: false, reason: expect.stringMatching(/drop-table/) });
    const { objects: _, ...noObjects } = facts;
    const outcome = evaluateCondition('change.objects.size() > 0', 'test', noObjects, prod);
    expect(outcome).toMatchObject({ ok: false, reason: expect.stringMatching(/objects/) });
  });

  it('fail closed on a value that is not a boolean', () => {
    expect(run('dyn(change.opCount)')).toEqual({ ok: false, reason: 'the condition yielded an int, not a bool' });
    expect(run('dyn(environment.name)')).toMatchObject({ ok: false, reason: expect.stringMatching(/string/) });
  });

  it('refuse at compile time what can never be a boolean, naming the layer', () => {
    let thrown: unknown;
    try {
      compileCondition('change.opCount + 1', 'dba');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'ISOTYP_POLICY_INVALID', details: { layer: 'dba' } });
    expect((thrown as Error).message).toContain('"dba"');
  });

  it.each([
    ['a syntax error', 'change.dataLoss ||'],
    ['an unknown field', 'change.dataloss'],
    ['an unknown variable', 'request.user == "root"'],
    ['a type error', 'change.opCount == "2"'],
    ['a backtracking regular expression', 'change.objects.exists(o, o.name.matches("(a+)+$"))'],
    [
      'loops nested three deep',
      'change.lintRules.exists(a, change.lintRules.exists(b, change.lintRules.all(c, a == c)))',
    ],
    ['a list literal over the limit', `${JSON.stringify(Array.from({ length: 65 }, (_, i) => i))}.size() > 0`],
    ['text over the length limit', `environment.name == "${'a'.repeat(MAX_CONDITION_LENGTH)}"`],
  ])('refuse %s', (_, when) => {
    expect(codeOf(() => compileCondition(when, 'layer'))).toBe('ISOTYP_POLICY_INVALID');
  });

  it('name the right layer even when the same text failed before under another', () => {
    expect(() => compileCondition('1 +', 'first')).toThrow(/"first"/);
    expect(() => compileCondition('1 +', 'second')).toThrow(/"second"/);
  });

  it('refuse to run nested loops over a list too long for the evaluation budget', () => {
    const objects = Array.from({ length: 5000 }, (_, i) => ({
      kind: 'table',
      namespace: null,
      name: `t${i}`,
      action: 'add',
    }));
    const nested = 'change.objects.exists(a, change.objects.exists(b, a.name == b.name && a.kind != b.kind))';
    expect(run(nested, { objects })).toMatchObject({ ok: false, reason: expect.stringMatching(/cost budget/) });
    expect(run(nested)).toEqual({ ok: true, value: false });
    expect(run('change.objects.exists(o, o.name == "t4999")', { objects })).toEqual({ ok: true, value: true });
  });
});

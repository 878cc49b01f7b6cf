import type { PlanOperation } from '@isotyp/protocol';
import { describe, expect, it } from 'vitest';
import type { Change } from '../diff/changes.js';
import { col, table } from '../test-support/model.js';
import { bumpVersion, semverBump } from './semver.js';

const op = (action: string, extra: Partial<PlanOperation> = {}): PlanOperation => ({
  action,
  object: { kind: 'table', namespace: 'main', name: 't' },
  up: ['SELECT 1'],
  down: ['SELECT 1'],
  irreversibleReason: null,
  risk: 'safe',
  lock: 'none',
  dataLoss: false,
  transactional: true,
  ...extra,
});

describe('semver bump', () => {
  it('is none, patch, minor or major from the operations', () => {
    expect(semverBump([])).toBe('none');
    expect(semverBump([op('create-index'), op('set-comment')])).toBe('patch');
    expect(semverBump([op('create-table'), op('create-index')])).toBe('minor');
    expect(semverBump([op('add-column'), op('drop-column', { risk: 'destructive', dataLoss: true })])).toBe('major');
    expect(semverBump([op('rename-column')])).toBe('major');
    expect(semverBump([op('drop-index')])).toBe('patch');
  });

  it('sees breaking changes carried inside one SQLite rebuild', () => {
    const t = table('t', [col('id')]);
    const rebuild = [op('rebuild-table')];
    const withCheck: Change = {
      kind: 'alter-table',
      namespace: 'main',
      from: t,
      to: t,
      changes: [{ kind: 'add-check', check: { name: 'c', expression: 'id > 0' } }],
    };
    expect(semverBump(rebuild, [withCheck])).toBe('major');
    const widened: Change = { ...withCheck, changes: [{ kind: 'add-column', column: col('note', 'TEXT') }] };
    expect(semverBump(rebuild, [widened])).toBe('minor');
  });

  it('bumps versions', () => {
    expect(bumpVersion('1.4.2', 'major')).toBe('2.0.0');
    expect(bumpVersion('1.4.2', 'minor')).toBe('1.5.0');
    expect(bumpVersion('1.4.2', 'patch')).toBe('1.4.3');
    expect(bumpVersion('1.4.2', 'none')).toBe('1.4.2');
  });
});

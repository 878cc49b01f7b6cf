import { IsotypError } from '@isotyp/protocol';
import { describe, expect, it } from 'vitest';
import { chooseLayer, parseDuration } from './approvals.js';
import type { LayerStatus, Review } from './changes.js';

const layer = (name: string, role: string, extra: Partial<LayerStatus> = {}): LayerStatus => ({
  name,
  role,
  applies: true,
  required: 1,
  approvedBy: [],
  rejectedBy: [],
  missing: 1,
  ...extra,
});

const review = (...layers: LayerStatus[]): Review => ({ status: 'pending', layers });

function thrown(fn: () => unknown): IsotypError {
  try {
    fn();
  } catch (error) {
    if (error instanceof IsotypError) return error;
    throw error;
  }
  throw new Error('expected an IsotypError');
}

describe('chooseLayer', () => {
  const r = review(
    layer('review', 'approver', { approvedBy: ['usr_ben'], missing: 0 }),
    layer('security', 'approver', { applies: false, missing: 0 }),
    layer('dba', 'dba'),
    layer('second-dba', 'dba'),
  );

  it('picks the first applying layer the roles fit that still misses approvals', () => {
    expect(chooseLayer(r, ['approver', 'dba'], 'usr_ana', { decision: 'approve' }).name).toBe('dba');
    expect(chooseLayer(r, ['dba'], 'usr_ana', { decision: 'approve' }).name).toBe('dba');
  });

  it('lets a rejection take the first applying layer the roles fit, met or not', () => {
    expect(chooseLayer(r, ['approver'], 'usr_ana', { decision: 'reject' }).name).toBe('review');
  });

  it('says which layers are open when none fits', () => {
    const error = thrown(() => chooseLayer(r, ['approver'], 'usr_ana', { decision: 'approve' }));
    expect(error.code).toBe('ISOTYP_FORBIDDEN');
    expect(error.hint).toContain('dba (role dba)');
  });

  it('checks a named layer: exists, applies, role fits', () => {
    expect(chooseLayer(r, ['dba'], 'usr_ana', { decision: 'approve', layer: 'second-dba' }).name).toBe('second-dba');
    expect(thrown(() => chooseLayer(r, ['dba'], 'usr_ana', { decision: 'approve', layer: 'nope' })).code).toBe(
      'ISOTYP_USAGE',
    );
    expect(
      thrown(() => chooseLayer(r, ['approver'], 'usr_ana', { decision: 'approve', layer: 'security' })).message,
    ).toContain('does not apply');
    expect(
      thrown(() => chooseLayer(r, ['approver'], 'usr_ana', { decision: 'approve', layer: 'dba' })).message,
    ).toContain('needs role dba');
  });

  it('keeps one person to one layer', () => {
    const error = thrown(() => chooseLayer(r, ['approver', 'dba'], 'usr_ben', { decision: 'approve' }));
    expect(error.code).toBe('ISOTYP_SEPARATION_OF_DUTIES');
    expect(error.message).toContain('review');
  });
});

describe('parseDuration', () => {
  it('reads s, m, h, d and bare seconds', () => {
    expect(parseDuration('90s')).toBe(90);
    expect(parseDuration('30m')).toBe(1800);
    expect(parseDuration('24h')).toBe(86_400);
    expect(parseDuration('7d')).toBe(604_800);
    expect(parseDuration('120')).toBe(120);
  });

  it('refuses nonsense and zero', () => {
    for (const text of ['', '0h', 'soon', '1w', '-3h'])
      expect(thrown(() => parseDuration(text)).code).toBe('ISOTYP_USAGE');
  });
});

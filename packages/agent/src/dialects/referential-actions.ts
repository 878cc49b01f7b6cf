import type { ForeignKey } from '@isotyp/protocol';

/** Referential actions as SQL spells them, for both dialects (they agree). */
export const ACTION_SQL: Record<ForeignKey['onDelete'], string> = {
  'no-action': 'NO ACTION',
  restrict: 'RESTRICT',
  cascade: 'CASCADE',
  'set-null': 'SET NULL',
  'set-default': 'SET DEFAULT',
};

/** The reverse: what a catalogue reports, in the neutral model's words. */
export const ACTION_FROM_SQL: Record<string, ForeignKey['onDelete']> = Object.fromEntries(
  Object.entries(ACTION_SQL).map(([neutral, sql]) => [sql, neutral as ForeignKey['onDelete']]),
);

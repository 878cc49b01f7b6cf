import type { LintRule } from '../rule.js';
import { dropView, renameColumn, renameTable, typeChange } from './compatibility.js';
import { newUniqueness, notNullWithoutDefault, setNotNull } from './data.js';
import { dropColumn, dropEnumValue, dropForeignKey, dropSchema, dropTable } from './destructive.js';
import { noPrimaryKey, unindexedForeignKey } from './hygiene.js';
import {
  constraintWithoutNotValid,
  largeTableRewrite,
  nonConcurrentIndex,
  setNotNullScan,
  typeChangeRewrite,
  volatileDefault,
} from './locking.js';
import { nonConstantDefault, rebuildNeeded } from './sqlite.js';

/** Every rule, in the order findings are reported. Codes are stable and never reused. */
export const lintRules: readonly LintRule[] = [
  dropTable,
  dropColumn,
  dropSchema,
  dropForeignKey,
  dropEnumValue,
  nonConcurrentIndex,
  typeChangeRewrite,
  volatileDefault,
  setNotNullScan,
  constraintWithoutNotValid,
  largeTableRewrite,
  renameColumn,
  renameTable,
  typeChange,
  dropView,
  notNullWithoutDefault,
  newUniqueness,
  setNotNull,
  nonConstantDefault,
  rebuildNeeded,
  noPrimaryKey,
  unindexedForeignKey,
];

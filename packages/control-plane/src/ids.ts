import { randomBytes } from 'node:crypto';

/**
 * A new object id: a short type prefix and 96 random bits, e.g. `chg_3q2Xv9Kd0aBcYz1M`. Ids are
 * unguessable so a leaked one does not enumerate its neighbours, and readable in logs.
 *
 * @example
 * newId('prj') // 'prj_…'
 */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}

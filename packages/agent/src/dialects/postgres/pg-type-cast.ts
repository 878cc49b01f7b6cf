/*
 * Whether ALTER COLUMN … TYPE can lose information. Only conversions known to keep every value
 * (and to cast back to the same value) count as lossless; anything else — including ones that
 * merely might fail, like text to integer — is treated as narrowing, so the plan says dataLoss
 * and the reviewer looks. Types are compared as format_type prints them.
 */

/** Decimal digits each integer type needs. */
const INTEGER_DIGITS: Record<string, number> = { smallint: 5, integer: 10, bigint: 19 };
/** Integer digits a binary float holds exactly (24- and 53-bit mantissas). */
const FLOAT_DIGITS: Record<string, number> = { real: 7, 'double precision': 15 };

interface Parsed {
  base: string;
  /** The type modifier's numbers, e.g. [10, 2] for numeric(10,2); empty when unconstrained. */
  mods: number[];
}

function parse(type: string): Parsed {
  const match = /^([a-z ]+?)(?:\((\d+)(?:,(\d+))?\))?$/.exec(type.trim());
  if (match === null) return { base: type, mods: [] };
  const mods = [match[2], match[3]].filter((m): m is string => m !== undefined).map(Number);
  return { base: match[1] ?? type, mods };
}

/** Integer digits a numeric type can hold, Infinity when unconstrained. */
function numericDigits(t: Parsed): number {
  if (t.mods.length === 0) return Number.POSITIVE_INFINITY;
  return (t.mods[0] ?? 0) - (t.mods[1] ?? 0);
}

/** True when every value of `from` converts to `to` and back unchanged. */
export function isLossless(from: string, to: string): boolean {
  if (from === to) return true;
  const a = parse(from);
  const b = parse(to);
  // Every type prints to text and its text reads back as the same value.
  if (b.base === 'text' && !from.endsWith('[]')) return true;
  const intA = INTEGER_DIGITS[a.base];
  if (intA !== undefined) {
    const intB = INTEGER_DIGITS[b.base];
    if (intB !== undefined) return intB >= intA;
    if (b.base === 'numeric') return b.mods.length === 0 || (numericDigits(b) >= intA && (b.mods[1] ?? 0) >= 0);
    const floatB = FLOAT_DIGITS[b.base];
    if (floatB !== undefined) return floatB >= intA;
    return b.base === 'character varying' && (b.mods.length === 0 || (b.mods[0] ?? 0) > intA);
  }
  if (a.base === 'numeric' && b.base === 'numeric') {
    if (b.mods.length === 0) return true;
    if (a.mods.length === 0) return false;
    return (b.mods[1] ?? 0) >= (a.mods[1] ?? 0) && numericDigits(b) >= numericDigits(a);
  }
  if (a.base === 'real' && b.base === 'double precision') return true;
  if (a.base === 'character varying' || a.base === 'text') {
    if (b.base !== 'character varying') return false;
    if (b.mods.length === 0) return true;
    return a.base === 'character varying' && a.mods.length > 0 && (b.mods[0] ?? 0) >= (a.mods[0] ?? 0);
  }
  if (a.base === 'date') return b.base === 'timestamp without time zone' || b.base === 'timestamp';
  return false;
}

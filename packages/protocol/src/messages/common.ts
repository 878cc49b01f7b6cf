import { z } from 'zod';

/** Identifiers of stored objects: short, printable, safe in URLs and file names. */
export const idSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'expected letters, digits and _ . : - only');

/**
 * The `Idempotency-Key` values the control plane accepts on a write: long enough for a UUID or a
 * ULID with a prefix.
 */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** An RFC 3339 timestamp in UTC, as produced by Date#toISOString. */
export const timestampSchema = z.iso.datetime({ offset: false });

export const dialects = ['sqlite', 'postgres'] as const;
export const dialectSchema = z.enum(dialects);
export type Dialect = z.infer<typeof dialectSchema>;

export const semverSchema = z
  .string()
  .regex(/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/, 'expected MAJOR.MINOR.PATCH');

/** Names of database objects as the database spells them (quoted identifiers included). */
export const objectNameSchema = z.string().min(1).max(1024);

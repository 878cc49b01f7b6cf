import { z } from 'zod';

const BASE64_32_BYTES = /^[A-Za-z0-9+/]{43}=$/;

/**
 * A Merkle log checkpoint `{origin, size, root}`; signed as a C2SP tlog-checkpoint note.
 * `root` is standard base64 of the 32-byte RFC 6962 root, as the note format writes it.
 */
export const checkpointSchema = z.strictObject({
  /** Unique name of the log, e.g. `isotyp.example/agent/ag_123`. No newlines. */
  origin: z
    .string()
    .min(1)
    .max(256)
    .regex(/^[^\n\r]+$/),
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  root: z.string().regex(BASE64_32_BYTES, 'expected standard base64 of 32 bytes'),
});
export type Checkpoint = z.infer<typeof checkpointSchema>;

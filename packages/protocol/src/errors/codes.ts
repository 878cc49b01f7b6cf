/**
 * The error-code catalogue. Codes are stable: never renamed, never reused, and their HTTP
 * status and exit code never change (`codes.test.ts` pins them against `codes.lock.json`).
 * New codes are appended.
 *
 * Exit codes follow BSD sysexits where one fits: 64 usage, 65 data, 66 no input,
 * 69 unavailable, 70 software, 75 temporary failure, 77 permission, 78 configuration.
 * Codes in 2–9 are outcomes a script should branch on (a refused change, drift found).
 */
export const errorCodes = {
  ISOTYP_INTERNAL: {
    http: 500,
    exit: 70,
    retryable: false,
    meaning: 'An unexpected internal error; this is a bug in Isotyp.',
  },
  ISOTYP_USAGE: {
    http: 400,
    exit: 64,
    retryable: false,
    meaning: 'The command line or request was malformed (unknown flag, missing argument).',
  },
  ISOTYP_UNKNOWN_COMMAND: {
    http: 404,
    exit: 64,
    retryable: false,
    meaning: 'No such command.',
  },
  ISOTYP_INVALID_INPUT: {
    http: 400,
    exit: 65,
    retryable: false,
    meaning: 'Input did not match the expected schema (wrong type, missing or extra field).',
  },
  ISOTYP_MALFORMED_JSON: {
    http: 400,
    exit: 65,
    retryable: false,
    meaning: 'Input was not well-formed JSON or not valid UTF-8.',
  },
  ISOTYP_NOT_CANONICAL: {
    http: 400,
    exit: 65,
    retryable: false,
    meaning: 'Input was valid JSON but not in the RFC 8785 canonical form signatures require.',
  },
  ISOTYP_UNSUPPORTED_VALUE: {
    http: 400,
    exit: 65,
    retryable: false,
    meaning: 'A value cannot be represented in canonical JSON (NaN, Infinity, lone surrogate…).',
  },
  ISOTYP_PAYLOAD_TOO_LARGE: {
    http: 413,
    exit: 65,
    retryable: false,
    meaning: 'The request body or input file is larger than the limit.',
  },
  ISOTYP_UNSUPPORTED_VERSION: {
    http: 400,
    exit: 65,
    retryable: false,
    meaning: 'The message declares a protocol version this build does not speak.',
  },
  ISOTYP_ENVELOPE_TYPE_MISMATCH: {
    http: 400,
    exit: 65,
    retryable: false,
    meaning: 'A signed envelope of another type was presented where this type is required.',
  },
  ISOTYP_SIGNATURE_INVALID: {
    http: 401,
    exit: 77,
    retryable: false,
    meaning: 'A signature did not verify: altered content, wrong key, or malformed signature.',
  },
  ISOTYP_KEY_UNKNOWN: {
    http: 401,
    exit: 77,
    retryable: false,
    meaning: 'The signing key is not one the verifier trusts for this purpose.',
  },
  ISOTYP_KEY_INVALID: {
    http: 400,
    exit: 65,
    retryable: false,
    meaning: 'A key is malformed or unsafe (wrong length, small-order point).',
  },
  ISOTYP_DIGEST_MISMATCH: {
    http: 409,
    exit: 3,
    retryable: false,
    meaning: 'A digest differs from the one expected; the object is not the one approved.',
  },
  ISOTYP_UNAUTHENTICATED: {
    http: 401,
    exit: 77,
    retryable: false,
    meaning: 'No valid credentials were presented, or they expired.',
  },
  ISOTYP_FORBIDDEN: {
    http: 403,
    exit: 77,
    retryable: false,
    meaning: 'The caller is authenticated but lacks the permission for this action.',
  },
  ISOTYP_NOT_FOUND: {
    http: 404,
    exit: 66,
    retryable: false,
    meaning: 'The object does not exist, or is not visible to the caller.',
  },
  ISOTYP_CONFLICT: {
    http: 409,
    exit: 4,
    retryable: false,
    meaning: "The request conflicts with the object's current state.",
  },
  ISOTYP_RATE_LIMITED: {
    http: 429,
    exit: 75,
    retryable: true,
    meaning: 'Too many requests; retry after the indicated delay.',
  },
  ISOTYP_UNAVAILABLE: {
    http: 503,
    exit: 69,
    retryable: true,
    meaning: 'A service Isotyp depends on is not reachable right now.',
  },
  ISOTYP_TIMEOUT: {
    http: 504,
    exit: 75,
    retryable: true,
    meaning: 'An operation did not finish in time; it is safe to retry.',
  },
  ISOTYP_CONFIG_INVALID: {
    http: 500,
    exit: 78,
    retryable: false,
    meaning: 'Configuration (file, ISOTYP_* environment, flags) is missing or invalid.',
  },
  ISOTYP_TARGET_INVALID: {
    http: 400,
    exit: 64,
    retryable: false,
    meaning: 'A target URL is malformed or names an unsupported dialect.',
  },
  ISOTYP_TARGET_UNREACHABLE: {
    http: 503,
    exit: 69,
    retryable: true,
    meaning: 'The target database could not be opened or connected to.',
  },
  ISOTYP_FILE_NOT_FOUND: {
    http: 404,
    exit: 66,
    retryable: false,
    meaning: 'A file named on the command line does not exist or cannot be read.',
  },
  ISOTYP_SCHEMA_LOAD_FAILED: {
    http: 400,
    exit: 65,
    retryable: false,
    meaning: 'A desired-state schema file did not load into the scratch database.',
  },
  ISOTYP_APPLY_FAILED: {
    http: 409,
    exit: 5,
    retryable: false,
    meaning: 'A statement of the change failed on the target; the change was rolled back.',
  },
  ISOTYP_LOCK_TIMEOUT: {
    http: 503,
    exit: 75,
    retryable: true,
    meaning: 'Another apply holds the target lock; it was not released in time.',
  },
  ISOTYP_DRIFT_DETECTED: {
    http: 409,
    exit: 2,
    retryable: false,
    meaning: 'The live schema differs from the one last applied by Isotyp.',
  },
  ISOTYP_IRREVERSIBLE: {
    http: 409,
    exit: 6,
    retryable: false,
    meaning: 'The change cannot be undone without losing data; --force is required.',
  },
  ISOTYP_AUDIT_TAMPERED: {
    http: 409,
    exit: 7,
    retryable: false,
    meaning: 'An audit log failed verification: an entry was altered, removed, reordered or cut off.',
  },
  ISOTYP_TOKEN_EXPIRED: {
    http: 401,
    exit: 77,
    retryable: false,
    meaning: 'The access or refresh token has expired; sign in again or refresh it.',
  },
  ISOTYP_CREDENTIALS_INVALID: {
    http: 401,
    exit: 77,
    retryable: false,
    meaning: 'The user name, password or one-time code was wrong.',
  },
  ISOTYP_UNSUPPORTED_MEDIA_TYPE: {
    http: 415,
    exit: 65,
    retryable: false,
    meaning: 'The request body was not sent as application/json.',
  },
  ISOTYP_IDEMPOTENCY_MISMATCH: {
    http: 422,
    exit: 65,
    retryable: false,
    meaning: 'An idempotency key was reused with a different request body.',
  },
  ISOTYP_IDEMPOTENCY_IN_PROGRESS: {
    http: 409,
    exit: 75,
    retryable: false,
    meaning: 'A request with the same idempotency key is still being processed; repeat it once that one has answered.',
  },
  ISOTYP_INVALID_STATE: {
    http: 409,
    exit: 4,
    retryable: false,
    meaning: 'The object is not in a state that allows this action (e.g. approving an applied change).',
  },
  ISOTYP_TRUST_NOT_INITIALISED: {
    http: 409,
    exit: 78,
    retryable: false,
    meaning: 'The organisation has no root key, keyring or policy yet; run isotyp org init.',
  },
  ISOTYP_POLICY_INVALID: {
    http: 400,
    exit: 65,
    retryable: false,
    meaning: 'An approval policy is malformed or one of its CEL conditions does not compile.',
  },
  ISOTYP_APPROVAL_INVALID: {
    http: 403,
    exit: 77,
    retryable: false,
    meaning: 'An approval does not bind this change, target, plan and policy, or its signer may not sign it.',
  },
  ISOTYP_APPROVAL_REPLAYED: {
    http: 409,
    exit: 77,
    retryable: false,
    meaning: 'This approval (or its nonce) has already been used.',
  },
  ISOTYP_SEPARATION_OF_DUTIES: {
    http: 403,
    exit: 77,
    retryable: false,
    meaning: 'The author cannot approve their own change, and one person signs one layer only.',
  },
  ISOTYP_APPROVAL_EXPIRED: {
    http: 403,
    exit: 77,
    retryable: false,
    meaning: "The approval's expiry time has passed.",
  },
  ISOTYP_IDP_ERROR: {
    http: 502,
    exit: 69,
    retryable: true,
    meaning: 'The external identity provider refused or failed the sign-in.',
  },
  ISOTYP_NOT_SIGNED_IN: {
    http: 401,
    exit: 77,
    retryable: false,
    meaning: 'The CLI has no session for this control plane; run isotyp login.',
  },
  ISOTYP_NOT_APPROVED: {
    http: 403,
    exit: 8,
    retryable: false,
    meaning:
      'Judged by the agent itself, the change is not approved: a layer lacks valid approvals or an eligible signer rejected it.',
  },
  ISOTYP_TRUST_MISMATCH: {
    http: 403,
    exit: 77,
    retryable: false,
    meaning:
      'Trust documents the agent does not accept: another org root than the one it pinned, or an older keyring than one it already used.',
  },
  ISOTYP_OVERLOADED: {
    http: 503,
    exit: 75,
    retryable: true,
    meaning: 'The control plane is shedding load to keep its latency budget; retry after the Retry-After it gave.',
  },
} as const satisfies Record<string, ErrorSpec>;

/** What the catalogue knows about each code. */
export interface ErrorSpec {
  /** Status the control plane answers with. */
  readonly http: number;
  /** Exit code of the CLI. */
  readonly exit: number;
  /** True when the same request may succeed later unchanged. */
  readonly retryable: boolean;
  /** One line: what the code means. */
  readonly meaning: string;
}

export type ErrorCode = keyof typeof errorCodes;

/** True when `code` is a catalogued error code. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(errorCodes, code);
}

import { IsotypError } from '@isotyp/protocol';
import { AuthorizationResponseError, ClientError, ResponseBodyError } from 'openid-client';

/** Which exchange with the IdP failed; only used to word the error and the log line. */
export type IdpStage = 'discovery' | 'callback' | 'userinfo' | 'device' | 'poll';

/**
 * OAuth error codes that the user's side caused (or that a polling CLI expects), answered as
 * ISOTYP_UNAUTHENTICATED with `details.oauth` set to the code:
 *
 * | oauth                   | meaning for the CLI / console                              |
 * |-------------------------|------------------------------------------------------------|
 * | `authorization_pending` | the user has not finished at the IdP yet: poll again        |
 * | `slow_down`             | poll again, `interval` + 5 s later                          |
 * | `expired_token`         | the device code (or the CP's handle) expired: start again   |
 * | `access_denied`         | the user (or the IdP's policy) refused: start again         |
 * | `invalid_grant`         | the code or device code is unknown, spent or not this one's |
 * | `login_required`, …     | the IdP needs an interaction it could not have              |
 *
 * Anything else (unreachable IdP, a 5xx, `invalid_client`, a malformed answer, a bad ID token
 * signature) is the provider's failure or ours in configuring it: ISOTYP_IDP_ERROR, 502.
 */
const userSideErrors = new Set([
  'authorization_pending',
  'slow_down',
  'expired_token',
  'access_denied',
  'invalid_grant',
  'login_required',
  'consent_required',
  'interaction_required',
  'account_selection_required',
]);

const hints: Record<string, string> = {
  authorization_pending: 'Finish signing in at the verification URL, then poll again after the interval.',
  slow_down: 'Poll less often: add 5 seconds to the interval.',
  expired_token: 'The sign-in took too long; start it again.',
  access_denied: 'The sign-in was refused at the identity provider; start again if that was a mistake.',
  invalid_grant: 'This sign-in can no longer be completed; start it again.',
};

/** The facts about a failure that are safe to log: no tokens, no bodies, no secret. */
export interface IdpFailureSummary {
  stage: IdpStage;
  kind: string;
  oauth?: string;
  status?: number;
  code?: string;
}

/**
 * Maps whatever openid-client (or fetch) threw into an IsotypError. The original error is not
 * attached as `cause`: openid-client's causes carry response bodies, which may hold tokens.
 */
export function toIdpError(error: unknown, stage: IdpStage): { error: IsotypError; summary: IdpFailureSummary } {
  if (error instanceof IsotypError) return { error, summary: { stage, kind: 'isotyp', code: error.code } };
  const oauth =
    error instanceof ResponseBodyError || error instanceof AuthorizationResponseError ? error.error : undefined;
  const status = error instanceof ResponseBodyError ? error.status : undefined;
  const code = error instanceof ClientError ? error.code : undefined;
  const kind = error instanceof Error ? error.name : typeof error;
  const summary: IdpFailureSummary = {
    stage,
    kind,
    ...(oauth === undefined ? {} : { oauth }),
    ...(status === undefined ? {} : { status }),
    ...(code === undefined ? {} : { code }),
  };
  if (oauth !== undefined && userSideErrors.has(oauth)) {
    return {
      error: new IsotypError('ISOTYP_UNAUTHENTICATED', `The identity provider answered ${oauth}.`, {
        hint: hints[oauth] ?? 'Start the sign-in again.',
        details: { oauth },
      }),
      summary,
    };
  }
  // A claim that does not match this sign-in (nonce, audience, issuer of the response) means the
  // answer was made for another request: someone replaying or injecting one, not an IdP outage.
  if (
    stage === 'callback' &&
    (code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' || code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED')
  ) {
    return {
      error: new IsotypError(
        'ISOTYP_UNAUTHENTICATED',
        'The identity provider’s answer does not belong to this sign-in.',
        {
          hint: 'Start the sign-in again from the console.',
          details: { oauth: 'invalid_grant' },
        },
      ),
      summary,
    };
  }
  return {
    error: new IsotypError('ISOTYP_IDP_ERROR', `The identity provider failed during ${stage}.`, {
      hint: 'Try again shortly; if it persists, an operator should check the OIDC settings and the provider’s health.',
      details: { stage, ...(oauth === undefined ? {} : { oauth }) },
    }),
    summary,
  };
}

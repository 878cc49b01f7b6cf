/** The identity module's public face for `createApp` and `isotyp server start`. */
export { type AccessTokenClaims, AccessTokens } from './access-tokens.js';
export { type AuthenticateOptions, authenticate, requirePrincipal } from './authenticate.js';
export { type BootstrapOrgInput, type BootstrapResult, bootstrapOrg } from './bootstrap.js';
export { CiTokens, type CreateCiToken } from './ci-tokens.js';
export { identityRoutes } from './identity-routes.js';
export { hashPassword, needsRehash, verifyPassword } from './passwords.js';
export { RefreshTokens, type TokenPair } from './refresh-tokens.js';
export { createIdentity, type IdentityDeps, type IdentityService } from './service.js';
export { SigningKeys } from './signing-keys.js';

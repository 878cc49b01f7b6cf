export { type AppDeps, createApp } from './app.js';
export { type RunningWorkers, runControlPlaneWorkers, type WorkersOptions } from './cluster/primary.js';
export { type ControlPlaneConfig, defaultConfig, resolveConfig } from './config.js';
export { type HttpErrorResponse, toHttpError } from './http/http-error.js';
export { createLogger } from './logger.js';
export { type FirstAdmin, type RunningControlPlane, runControlPlane } from './main.js';
export {
  checkPassphrase,
  type PassphraseRotation,
  rotatePassphrase,
  rotateSigningKeys,
  type SigningKeyRotation,
} from './maintenance.js';
export { openStore, sqliteFile } from './storage/open-store.js';
export type { Store } from './storage/store.js';

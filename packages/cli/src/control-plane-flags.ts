import { Flags } from '@oclif/core';

/**
 * Flags shared by the commands that talk to the control plane (login, tokens, keys, org,
 * projects, envs, targets, submit, changes, approve, reject).
 */

/** `--server`: the control plane; defaults to ISOTYP_SERVER, then to the signed-in session's. */
export const serverFlag = Flags.string({
  summary: 'Control plane URL (default: ISOTYP_SERVER, else the server you signed in to).',
  env: 'ISOTYP_SERVER',
  helpGroup: 'CONTROL PLANE',
});

/** `--project`: a project id or name. */
export const projectFlag = Flags.string({ char: 'p', summary: 'Project id or name.' });

/** `--env`: an environment id or name. */
export const envFlag = Flags.string({ char: 'e', summary: 'Environment id or name.' });

/** `--env`, required. */
export const requiredEnvFlag = Flags.string({ char: 'e', summary: 'Environment id or name.', required: true });

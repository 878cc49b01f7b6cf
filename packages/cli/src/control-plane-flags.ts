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

/**
 * The control plane's roles (protocol's `roles`), for `--role`: a copy, so that --help loads no
 * protocol code; users.test.ts checks that the two agree.
 */
export const ROLE_NAMES = ['admin', 'approver', 'dba', 'ci', 'agent', 'auditor', 'viewer'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

/**
 * The flags of a grant's role and scope (`isotyp users grant|revoke`): the organisation, or a
 * project, or an environment of one.
 */
export const grantFlags = {
  role: Flags.string({ summary: 'The role of the grant.', required: true, options: [...ROLE_NAMES] }),
  project: Flags.string({ summary: 'The project (id or name) of a project or environment grant.' }),
  env: Flags.string({
    summary: 'The environment (id or name) of an environment grant, with --project.',
    dependsOn: ['project'],
  }),
};

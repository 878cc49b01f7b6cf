import { Flags } from '@oclif/core';

/**
 * Flags every `isotyp` command accepts (oclif adds `--json` itself through `enableJsonFlag`).
 * Command-specific flags shared by several commands (target URL, environment…) belong here too.
 */
export const globalFlags = {
  verbose: Flags.boolean({
    description: 'Show stack traces and the causes of errors.',
    helpGroup: 'GLOBAL',
  }),
};

const targetUrl = {
  char: 't',
  summary:
    'Database: sqlite:<path> or postgres://user@host:port/db (password from PGPASSWORD, or ?password=keychain:NAME from isotyp secrets).',
  env: 'ISOTYP_TARGET',
  // A password named by reference is looked up only when there is one: other commands never
  // load the keychain.
  parse: async (input: string) =>
    /[?&]password=keychain(:|%3A)/i.test(input)
      ? (await import('./services/secrets.js')).withTargetSecrets(input)
      : input,
} as const;

/** `--target`: the database a command works on. */
export const targetFlag = Flags.string({ ...targetUrl, required: true });

/** `--target` where a command can also work without a database (lint --rules). */
export const optionalTargetFlag = Flags.string(targetUrl);

/** `--yes`: confirms a command that changes the target. */
export const yesFlag = Flags.boolean({
  char: 'y',
  summary: 'Confirm: change the target database.',
});

/** `--actor`: who is recorded in the target's history. */
export const actorFlag = Flags.string({
  summary: 'Who to record in the target history (default: user@host).',
  env: 'ISOTYP_ACTOR',
});

/** `--config`: the project configuration file (default ./isotyp.json when present). */
export const configFlag = Flags.string({
  summary: 'Project configuration file (default: ./isotyp.json when it exists).',
  env: 'ISOTYP_CONFIG',
});

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

import { IsotypError } from '@isotyp/protocol';
import type { Hook, Interfaces } from '@oclif/core';
import { toConfiguredId, toStandardizedId } from '@oclif/core';
import { suggestCommands } from '../services/suggest.js';
import { argvHasFlag } from '../ui/argv.js';
import { renderError } from '../ui/render-error.js';

/**
 * `isotyp nope`: report ISOTYP_UNKNOWN_COMMAND (exit 64) with the closest commands, through the
 * same renderer as every other error, honouring --json and --verbose. oclif also lands here for
 * `isotyp --nope` and for `isotyp errors list extra`; those are usage errors (ISOTYP_USAGE).
 */
export const commandNotFound: Hook.CommandNotFound = async function (options) {
  const { config, id } = options;
  const argv = options.argv ?? [];
  const exitCode = renderError(diagnose(id, argv, config), {
    bin: config.bin,
    json: argvHasFlag([id, ...argv], '--json'),
    verbose: argvHasFlag([id, ...argv], '--verbose'),
  });
  // Throws oclif's ExitError; oclif exits with the code and prints nothing more.
  this.exit(exitCode);
};

function diagnose(id: string, argv: readonly string[], config: Interfaces.Config): IsotypError {
  const bin = config.bin;
  // `isotyp --nope` arrives here with the flag as the id.
  if (id.startsWith('-')) {
    return new IsotypError('ISOTYP_USAGE', `Unknown flag ${id}.`, {
      hint: `See: ${bin} --help`,
      details: { flags: [id] },
    });
  }
  // With topicSeparator ' ', oclif folds every word before the first flag into `id`, even the
  // arguments of a command that takes none; words after it may be part of a mistyped command.
  const firstFlag = argv.findIndex((a) => a.startsWith('-'));
  const words = [...toConfiguredId(id, config).split(' '), ...(firstFlag === -1 ? argv : argv.slice(0, firstFlag))];

  const command = longestCommandPrefix(words, config);
  if (command) {
    const extra = words.slice(command.split(' ').length);
    return new IsotypError(
      'ISOTYP_USAGE',
      `Unexpected argument${extra.length === 1 ? '' : 's'}: ${extra.join(', ')}.`,
      {
        hint: `See: ${bin} ${command} --help`,
        details: { arguments: extra },
      },
    );
  }

  const typed = commandPart(words, config);
  const suggestions = suggestCommands(words, knownCommands(config));
  const help = `Run \`${bin} --help\` to see every command.`;
  const hint =
    suggestions.length > 0 ? `Did you mean ${suggestions.map((s) => `\`${bin} ${s}\``).join(' or ')}? ${help}` : help;
  return new IsotypError('ISOTYP_UNKNOWN_COMMAND', `There is no command named "${typed}".`, {
    hint,
    details: { command: typed, suggestions },
  });
}

/** The longest run of leading words that names a real command, e.g. `errors list` in `errors list extra`. */
function longestCommandPrefix(words: readonly string[], config: Interfaces.Config): string | undefined {
  for (let n = words.length; n > 0; n--) {
    const candidate = words.slice(0, n).join(' ');
    if (config.findCommand(toStandardizedId(candidate, config))) return candidate;
  }
  return undefined;
}

/** The words naming the command: the longest known topic prefix plus one word; the rest are arguments. */
function commandPart(words: readonly string[], config: Interfaces.Config): string {
  const topics = new Set(config.topics.map((t) => toConfiguredId(t.name, config)));
  let depth = 0;
  while (depth < words.length - 1 && topics.has(words.slice(0, depth + 1).join(' '))) depth++;
  return words.slice(0, depth + 1).join(' ');
}

/** Visible command ids and aliases, plus topics, in the form users type them (`errors list`). */
function knownCommands(config: Interfaces.Config): string[] {
  const ids = config.commands
    .filter((c) => !c.hidden)
    .flatMap((c) => [c.id, ...c.aliases])
    .concat(config.topics.filter((t) => !t.hidden).map((t) => t.name));
  return [...new Set(ids.map((i) => toConfiguredId(i, config)))];
}

import { Flags } from '@oclif/core';
import { IsotypCommand } from '../../base-command.js';
import { serverFlag } from '../../control-plane-flags.js';

export default class EventsTail extends IsotypCommand {
  static override summary = "Follow the organisation's events as they happen (audit:read: admins, auditors).";
  static override description =
    'Prints each event the control plane records — a change submitted, approved, applied; an agent enrolled — as it commits: seq, time, type, object and actor, never the object’s content. A lost connection is opened again (0.5 s doubling to 15 s) and resumes after the last event printed, so nothing is missed or printed twice. With --json, each event is one line of JSON (NDJSON). Stops at Ctrl-C, or after --limit events.';
  static override examples = [
    { description: 'Everything from now on.', command: '<%= config.bin %> <%= command.id %>' },
    {
      description: 'Changes and agents only, one JSON line each, for a script.',
      command: '<%= config.bin %> <%= command.id %> --types "change.*,agent.*" --json',
    },
    {
      description: 'The whole history, then stop after 100 events.',
      command: '<%= config.bin %> <%= command.id %> --after -1 --limit 100',
    },
    {
      description: 'Resume after the last event a script handled.',
      command: '<%= config.bin %> <%= command.id %> --after 1041',
    },
  ];
  static override flags = {
    server: serverFlag,
    types: Flags.string({
      summary: 'Only these event types, comma-separated; a prefix ending in * matches many (change.*).',
    }),
    after: Flags.integer({
      summary: 'Start after this seq (-1: from the first event). Default: from now on.',
      min: -1,
    }),
    limit: Flags.integer({ summary: 'Stop after this many events.', min: 1 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(EventsTail);
    const [{ followEvents, EVENT_PATTERN }, { connect }, { IsotypError }] = await Promise.all([
      import('../../services/control-plane/events.js'),
      import('../../services/control-plane/connection.js'),
      import('@isotyp/protocol'),
    ]);
    const types = flags.types
      ?.split(',')
      .map((type) => type.trim())
      .filter((type) => type !== '');
    const wrong = types?.find((type) => !EVENT_PATTERN.test(type));
    if (wrong !== undefined) {
      throw new IsotypError('ISOTYP_USAGE', `--types: "${wrong}" is not an event type or a prefix of them.`, {
        hint: 'Give names like change.approve, prefixes ending in * like change.*, or * for all, comma-separated.',
      });
    }
    const json = this.jsonEnabled();
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    // On stderr in both modes: with --json, stdout holds nothing but the events.
    const note = (line: string) => process.stderr.write(`${line}\n`);
    let announced = false;
    try {
      await followEvents(connect({ server: flags.server }), {
        ...(types === undefined ? {} : { types }),
        ...(flags.after === undefined ? {} : { after: flags.after }),
        ...(flags.limit === undefined ? {} : { limit: flags.limit }),
        signal: stop.signal,
        onReady: (after) => {
          if (announced) return;
          announced = true;
          this.logToStderr(
            `Following events after seq ${after}${types ? ` (${types.join(', ')})` : ''}; Ctrl-C stops.`,
          );
        },
        onEvent: (event) => {
          if (json) process.stdout.write(`${JSON.stringify(event)}\n`);
          else
            this.log(
              `${String(event.seq).padStart(6)}  ${event.time}  ${event.type.padEnd(22)} ${event.entity.kind}:${event.entity.id}  ${event.actor}`,
            );
        },
        onReconnect: (error, delayMs, after) => {
          const from = after === undefined ? '' : `, resuming after seq ${after}`;
          note(`${error.message} Reconnecting in ${(delayMs / 1000).toFixed(1)} s${from}.`);
        },
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}

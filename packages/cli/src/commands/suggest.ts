import type { Advice } from '@isotyp/agent';
import { Flags } from '@oclif/core';
import { IsotypCommand } from '../base-command.js';
import { envFlag, projectFlag, serverFlag } from '../control-plane-flags.js';
import { targetFlag } from '../flags.js';

/** Statement lines shown per suggestion (a SQLite table rebuild runs long). */
const SHOWN_LINES = 6;

export default class Suggest extends IsotypCommand {
  static override summary = 'Find schema improvements in a database, ranked, each with the change it proposes.';
  static override description =
    'Runs the schema advisor at this site: rules over the live schema (foreign keys without an index, duplicate and redundant indexes, tables without a primary key, timestamp without time zone) and, on PostgreSQL, its statistics (unused indexes, sequential-scan-heavy tables with pg_stat_statements when installed, integer keys near overflow). --read-data also counts NULLs to find nullable columns that hold none (it reads the data, locally). --llm-url adds an OpenAI-compatible model server of your own, which receives schema metadata only. Every proposal is planned against the database before it is shown; nothing is sent anywhere. Score = 100 × impact weight × confidence × risk factor (docs/concepts/advisor.md).';
  static override examples = [
    {
      description: 'Advise on a database.',
      command: '<%= config.bin %> <%= command.id %> --target sqlite:./chinook.db',
    },
    {
      description: 'PostgreSQL, with NULL counts, only what scores 50 or more.',
      command: '<%= config.bin %> <%= command.id %> -t postgres://dba@db.internal/shop --read-data --min-score 50',
    },
    {
      description: 'Also ask a model server running on this host.',
      command:
        '<%= config.bin %> <%= command.id %> -t postgres://dba@db.internal/shop --llm-url http://127.0.0.1:11434/v1 --llm-model qwen2.5-coder:7b',
    },
    { description: 'As JSON, for a script.', command: '<%= config.bin %> <%= command.id %> -t sqlite:./app.db --json' },
  ];
  static override flags = {
    target: targetFlag,
    'read-data': Flags.boolean({
      summary: 'Count NULLs in nullable columns (reads the data, locally; a full scan of each table).',
    }),
    kind: Flags.string({
      summary: 'Only these kinds of suggestion (repeatable), e.g. fk-without-index.',
      multiple: true,
    }),
    'min-score': Flags.integer({
      summary: 'Hide suggestions scoring below this (0–100).',
      min: 0,
      max: 100,
      default: 0,
    }),
    'min-stats-days': Flags.integer({
      summary: 'Days of PostgreSQL statistics before an index never scanned counts as unused.',
      min: 0,
      default: 7,
    }),
    'llm-url': Flags.string({
      summary: 'Base URL of an OpenAI-compatible API at this site (it receives schema metadata only).',
      env: 'ISOTYP_LLM_URL',
    }),
    'llm-model': Flags.string({ summary: 'Model name for --llm-url.', env: 'ISOTYP_LLM_MODEL' }),
    'llm-key-env': Flags.string({
      summary: 'Name of the environment variable holding the LLM API key, if it needs one.',
    }),
    report: Flags.boolean({
      summary:
        'Report the suggestions to the control plane for review: metadata and digests only, names per the privacy mode.',
    }),
    server: serverFlag,
    env: envFlag,
    project: projectFlag,
    'target-id': Flags.string({
      summary: "With --report: the control plane's target (id or name); default: the environment's only target.",
    }),
  };

  async run(): Promise<Advice & { reported?: unknown }> {
    const { flags } = await this.parse(Suggest);
    const [{ adviseTarget }, { IsotypError, suggestionKinds, suggestionDigest }] = await Promise.all([
      import('@isotyp/agent'),
      import('@isotyp/protocol'),
    ]);
    const unknown = (flags.kind ?? []).filter((k) => !(suggestionKinds as readonly string[]).includes(k));
    if (unknown.length > 0) {
      throw new IsotypError('ISOTYP_USAGE', `Unknown suggestion kind ${unknown.join(', ')}.`, {
        hint: `Kinds: ${suggestionKinds.join(', ')}.`,
      });
    }
    if ((flags['llm-url'] === undefined) !== (flags['llm-model'] === undefined)) {
      throw new IsotypError('ISOTYP_USAGE', '--llm-url and --llm-model go together.', {
        hint: 'Give both, or neither.',
      });
    }
    if (flags.report && flags.env === undefined) {
      throw new IsotypError(
        'ISOTYP_USAGE',
        '--report needs --env (and --target-id when the environment has several).',
        {
          hint: 'Name the environment the database belongs to in the control plane.',
        },
      );
    }
    const apiKey = flags['llm-key-env'] === undefined ? undefined : process.env[flags['llm-key-env']];
    const advice = await adviseTarget(flags.target, {
      readData: flags['read-data'],
      minStatisticsAgeDays: flags['min-stats-days'],
      ...(flags.kind === undefined ? {} : { kinds: flags.kind as (typeof suggestionKinds)[number][] }),
      ...(flags['llm-url'] === undefined || flags['llm-model'] === undefined
        ? {}
        : {
            llm: {
              url: flags['llm-url'],
              model: flags['llm-model'],
              ...(apiKey === undefined ? {} : { apiKey }),
            },
          }),
    });
    const shown = { ...advice, suggestions: advice.suggestions.filter((s) => s.score >= flags['min-score']) };
    let reported: Awaited<ReturnType<typeof import('../services/control-plane/advisor.js').reportAdvice>> | undefined;
    if (flags.report && flags.env !== undefined) {
      const [{ reportAdvice }, { connect }] = await Promise.all([
        import('../services/control-plane/advisor.js'),
        import('../services/control-plane/connection.js'),
      ]);
      reported = await reportAdvice(connect({ server: flags.server }), shown, {
        env: flags.env,
        project: flags.project,
        target: flags['target-id'],
      });
    }
    if (this.jsonEnabled()) return { ...shown, ...(reported === undefined ? {} : { reported }) };

    if (shown.suggestions.length === 0) {
      this.log(
        advice.suggestions.length === 0
          ? 'No suggestions: the advisor found nothing to improve.'
          : `No suggestion scores ${flags['min-score']} or more (${advice.suggestions.length} below).`,
      );
    }
    for (const suggestion of shown.suggestions) {
      this.log(
        `${String(suggestion.score).padStart(3)}  ${suggestion.kind}  ${suggestion.objects[0]?.name ?? ''}  (${suggestion.impact} impact, ${suggestion.risk}, confidence ${suggestion.confidence})`,
      );
      this.log(`     ${suggestion.rationale}`);
      const statements = advice.statements[suggestionDigest(suggestion)] ?? [];
      const lines = statements.flatMap((statement) =>
        statement.split('\n').map((line, i) => `${i === 0 ? '→ ' : '    '}${line}`),
      );
      for (const line of lines.slice(0, SHOWN_LINES)) this.log(`     ${line}`);
      if (lines.length > SHOWN_LINES)
        this.log(`     … ${lines.length - SHOWN_LINES} more line(s) (--json has them all)`);
      if (statements.length === 0) this.log('     → no change proposed: look into it');
    }
    const skipped = advice.detectors.filter((d) => !d.ran && d.why !== 'not asked for');
    if (skipped.length > 0) {
      this.log(`\nNot run: ${skipped.map((d) => `${d.kind} (${d.why})`).join('; ')}.`);
    }
    if (advice.refused.length > 0) {
      this.log(`Dropped ${advice.refused.length} suggestion(s) whose change does not plan against this database.`);
    }
    if (reported !== undefined) {
      this.log(
        `Reported to the control plane (${reported.privacyMode} mode): ${reported.created} new, ${reported.updated} seen before. Review them with isotyp suggestions list.`,
      );
    }
    if (advice.llm !== undefined && 'error' in advice.llm) {
      this.warn(`The LLM gave nothing: ${advice.llm.error.message} [${advice.llm.error.code}]`);
    }
    return shown;
  }
}

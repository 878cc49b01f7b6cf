import { IsotypError, toIsotypError } from '@isotyp/protocol';
import type pg from 'pg';
import { isConnectionLoss, sqlStateOf } from './client.js';
import { blankOut, lineOfPosition, type MetaCommand, outlineScript } from './sql-script.js';

/** A schema file checked and ready to send to the server. */
export interface PreparedScript {
  fileName: string;
  /** The text sent, with the same character positions as the file. */
  sql: string;
  statementLines: number[];
}

/*
 * The issue asked for ISOTYP_INVALID_INPUT; the catalogue has since gained a code made for
 * exactly this, which the SQLite loader uses too, so both dialects fail the same way.
 */
const LOAD_FAILED = 'ISOTYP_SCHEMA_LOAD_FAILED';

/**
 * Refuses psql meta-commands, which no server can run. pg_dump's `\restrict` / `\unrestrict`
 * pair (a guard for psql itself, in every dump since August 2025) is blanked out instead, so
 * a fresh `pg_dump --schema-only` loads as it is.
 */
export function prepareScript(text: string, fileName: string): PreparedScript {
  const outline = outlineScript(text);
  const harmless = (m: MetaCommand): boolean => /^\\(un)?restrict(\s|$)/.test(m.text);
  const refused = outline.metaCommands.filter((m) => !harmless(m));
  const first = refused[0];
  if (first !== undefined) {
    const shown = first.text.length > 60 ? `${first.text.slice(0, 57)}...` : first.text;
    throw new IsotypError(
      LOAD_FAILED,
      `${fileName}:${first.line}: "${shown}" is a psql meta-command, not SQL, and cannot be loaded.`,
      {
        hint: 'Remove psql meta-commands (\\c, \\set, \\i, …) from the file: it is run as plain SQL on a scratch database.',
        details: { file: fileName, line: first.line, metaCommandLines: refused.map((m) => m.line) },
      },
    );
  }
  return {
    fileName,
    sql: blankOut(text, outline.metaCommands.filter(harmless)),
    statementLines: outline.statementLines,
  };
}

interface ServerError {
  code?: string;
  message?: string;
  position?: string;
  detail?: string;
  hint?: string;
}

/**
 * Runs the whole file as one multi-statement query (one implicit transaction unless the file
 * manages its own). `expectOpenTransaction` is true when the caller opened a transaction
 * around it and will roll it back; the file must then not end it.
 */
export async function runScript(
  client: pg.Client,
  script: PreparedScript,
  expectOpenTransaction: boolean,
): Promise<void> {
  // The server reports no position for many errors ("relation already exists"); counting the
  // statements it completed tells which one failed.
  let completed = 0;
  let status = '';
  const onComplete = (): void => {
    completed++;
  };
  const onReady = (message: { status?: string }): void => {
    status = message.status ?? '';
  };
  client.connection.on('commandComplete', onComplete);
  client.connection.on('readyForQuery', onReady);
  try {
    await client.query(script.sql);
  } catch (error) {
    throw loadError(error, script, completed);
  } finally {
    client.connection.off('commandComplete', onComplete);
    client.connection.off('readyForQuery', onReady);
  }
  const open = status === 'T';
  if (open !== expectOpenTransaction) {
    throw new IsotypError(
      LOAD_FAILED,
      open
        ? `${script.fileName} leaves a transaction open (BEGIN without COMMIT), so none of it would stay.`
        : `${script.fileName} ends the transaction it is loaded in (COMMIT), so its objects were committed to the dev database.`,
      {
        hint: open
          ? 'Add the missing COMMIT, or remove BEGIN: the file is loaded as one transaction anyway.'
          : 'Remove BEGIN/COMMIT from the file, then empty the dev database before the next run.',
        details: { file: script.fileName },
      },
    );
  }
}

function loadError(error: unknown, script: PreparedScript, completed: number): IsotypError {
  const e = (error ?? {}) as ServerError;
  const sqlState = sqlStateOf(error);
  if (isConnectionLoss(error)) {
    return new IsotypError('ISOTYP_TARGET_UNREACHABLE', `The connection was lost while loading ${script.fileName}.`, {
      hint: 'Check that the server is up and retry.',
      details: { file: script.fileName, driverCode: e.code ?? null },
      cause: error,
    });
  }
  // Anything without a SQLSTATE that is not a lost connection is a fault here, not in the file.
  if (sqlState === null) return toIsotypError(error);
  const position = Number(e.position);
  const line =
    Number.isInteger(position) && position > 0
      ? lineOfPosition(script.sql, position)
      : (script.statementLines[completed] ?? null);
  const where = line === null ? script.fileName : `${script.fileName}:${line}`;
  const message = (e.message ?? 'unknown error').replace(/\.$/, '');
  const fix = line === null ? `Fix ${script.fileName}` : `Fix the statement at ${script.fileName}:${line}`;
  return new IsotypError(LOAD_FAILED, `${where}: ${message} (SQLSTATE ${sqlState}).`, {
    hint: `${fix} and run again; nothing was applied to the target.${e.hint ? ` PostgreSQL's hint: ${e.hint}` : ''}`,
    details: {
      file: script.fileName,
      line,
      databaseMessage: e.message ?? null,
      sqlState,
      ...(e.detail ? { databaseDetail: e.detail } : {}),
    },
    cause: error,
  });
}

import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type IsotypError, isIsotypError } from '@isotyp/protocol';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { isotypHome } from '../../config.js';
import type { ControlPlaneClient } from '../control-plane/client.js';

/** A report for the control plane: a request to send again until it is heard. */
export interface QueuedReport {
  id: number;
  path: string;
  body: unknown;
  createdAt: string;
}

/**
 * Reports that could not reach the control plane — above all "this change is applied", which
 * must never be lost once the database has changed — kept in SQLite ($ISOTYP_HOME/reports.db)
 * until they are delivered. Oldest first.
 *
 * @example
 * const queue = openReportQueue();
 * queue.add(`/v1/changes/${id}/transitions`, { to: 'applied', digest });
 * await drainReports(client, queue);
 */
export interface ReportQueue {
  add(path: string, body: unknown, at?: Date): void;
  list(): QueuedReport[];
  remove(id: number): void;
  close(): void;
}

export function openReportQueue(env: NodeJS.ProcessEnv = process.env): ReportQueue {
  const path = join(isotypHome(env), 'reports.db');
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec(`CREATE TABLE IF NOT EXISTS reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
  ) STRICT`);
  const insert = db.prepare('INSERT INTO reports (path, body, created_at) VALUES (?, ?, ?)');
  const all = db.prepare<[], { id: number; path: string; body: string; created_at: string }>(
    'SELECT id, path, body, created_at FROM reports ORDER BY id',
  );
  const remove = db.prepare('DELETE FROM reports WHERE id = ?');
  return {
    add: (reportPath, body, at = new Date()) => void insert.run(reportPath, JSON.stringify(body), at.toISOString()),
    list: () => all.all().map((r) => ({ id: r.id, path: r.path, body: JSON.parse(r.body), createdAt: r.created_at })),
    remove: (id) => void remove.run(id),
    close: () => db.close(),
  };
}

/**
 * Sends the queued reports in order. A report the control plane answers is done — also when it
 * refuses it (say the change was already marked applied by a retry): sending it again would get
 * the same answer. One it cannot be reached for, or that gets a retryable answer, stays, and so
 * does everything after it. Returns how many were delivered and how many are left.
 */
export async function drainReports(
  client: ControlPlaneClient,
  queue: ReportQueue,
  onRefused: (report: QueuedReport, error: IsotypError) => void = () => {},
): Promise<{ delivered: number; left: number }> {
  let delivered = 0;
  const reports = queue.list();
  for (const report of reports) {
    try {
      await client.post(report.path, report.body, z.unknown(), { retry: false });
    } catch (error) {
      if (!isIsotypError(error) || error.retryable || error.code === 'ISOTYP_UNAVAILABLE') {
        return { delivered, left: reports.length - delivered };
      }
      onRefused(report, error);
    }
    queue.remove(report.id);
    delivered++;
  }
  return { delivered, left: 0 };
}

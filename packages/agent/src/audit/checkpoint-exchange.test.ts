import {
  generateKeyPair,
  openCheckpoint,
  parseVkey,
  signCheckpoint,
  toBase64,
  verifyConsistency,
} from '@isotyp/protocol';
import { describe, expect, it } from 'vitest';
import { openAuditLog } from './audit-log.js';
import {
  buildCheckpointReport,
  CHECKPOINT_INTERVAL_MS,
  CHECKPOINT_MAX_ENTRIES,
  checkpointDue,
  verifyControlPlaneLog,
} from './checkpoint-exchange.js';
import { sampleEntries, tempAuditPath } from './test-support.js';

const t0 = new Date('2026-03-01T12:00:00Z');
const later = (ms: number) => new Date(t0.getTime() + ms);

describe('checkpointDue', () => {
  it('is due every 5 minutes or 10,000 entries, at once for a first or a shrunk log, never for an empty one', () => {
    const sent = { lastSentAt: t0, lastSentSize: 100 };
    const cases: [Parameters<typeof checkpointDue>[0], boolean][] = [
      [{ now: t0, size: 0 }, false],
      [{ now: t0, size: 1 }, true],
      [{ ...sent, now: later(CHECKPOINT_INTERVAL_MS - 1), size: 100 }, false],
      [{ ...sent, now: later(CHECKPOINT_INTERVAL_MS - 1), size: 100 + CHECKPOINT_MAX_ENTRIES - 1 }, false],
      [{ ...sent, now: later(CHECKPOINT_INTERVAL_MS), size: 100 }, true],
      [{ ...sent, now: later(1000), size: 100 + CHECKPOINT_MAX_ENTRIES }, true],
      [{ ...sent, now: later(1000), size: 99 }, true],
      [{ ...sent, now: later(1000), size: 0 }, false],
    ];
    for (const [schedule, due] of cases) expect(checkpointDue(schedule), JSON.stringify(schedule)).toBe(due);
    expect(CHECKPOINT_INTERVAL_MS).toBe(300_000);
    expect(CHECKPOINT_MAX_ENTRIES).toBe(10_000);
  });
});

describe('buildCheckpointReport', () => {
  const key = { name: 'isotyp.agent/ag_1', ...generateKeyPair() };

  it('signs the log’s head and proves it extends the last accepted checkpoint', () => {
    const log = openAuditLog(tempAuditPath());
    expect(buildCheckpointReport(log, { agentId: 'ag_1', key })).toBeUndefined();
    log.append(sampleEntries(5));
    const first = buildCheckpointReport(log, { agentId: 'ag_1', key, now: t0 });
    expect(first?.report.consistency).toEqual([]);
    const trusted = parseVkey(first?.report.vkey as string);
    expect(openCheckpoint(first?.report.note as string, [trusted], key.name)).toEqual({
      origin: key.name,
      size: 5,
      root: toBase64(first?.root as Uint8Array),
    });
    // Not accepted yet: the next report still has nothing to prove from.
    log.append(sampleEntries(2, 5));
    expect(buildCheckpointReport(log, { agentId: 'ag_1', key })?.report.consistency).toEqual([]);
    log.markUpstream({ size: 5, root: first?.root as Uint8Array, time: t0.toISOString() });
    expect(log.upstream()).toEqual({ size: 5, root: first?.root, time: t0.toISOString() });
    log.append(sampleEntries(9, 7));
    const next = buildCheckpointReport(log, { agentId: 'ag_1', key });
    const proof = (next?.report.consistency ?? []).map((h) => Uint8Array.from(Buffer.from(h, 'hex')));
    expect(next?.size).toBe(16);
    expect(verifyConsistency(5, 16, first?.root as Uint8Array, next?.root as Uint8Array, proof)).toBe(true);
    log.close();
  });

  it('sends no proof for a log that shrank below the accepted size (the control plane flags it)', () => {
    const path = tempAuditPath();
    const log = openAuditLog(path);
    log.append(sampleEntries(4));
    log.markUpstream({ size: 6, root: new Uint8Array(32), time: t0.toISOString() });
    expect(buildCheckpointReport(log, { agentId: 'ag_1', key })?.report.consistency).toEqual([]);
    log.close();
    const reopened = openAuditLog(path);
    expect(reopened.upstream()?.size).toBe(6);
    reopened.close();
  });
});

describe('verifyControlPlaneLog', () => {
  it('refuses a malformed pinned key as the caller’s error, not as tampering', () => {
    const key = generateKeyPair();
    const name = 'isotyp.control-plane/cp.test';
    const note = signCheckpoint({ origin: name, size: 1, root: toBase64(new Uint8Array(32)) }, { name, ...key });
    expect(() => verifyControlPlaneLog({ checkpointNote: note, vkey: 'nonsense' })).toThrow(
      expect.objectContaining({ code: 'ISOTYP_KEY_INVALID' }),
    );
  });
});

// The agent and the control plane meet only here: neither package imports the other, so the
// test of their checkpoint exchange lives outside both and uses their public faces.
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAuditLog, readControlPlaneLog, sendCheckpoint } from '@isotyp/agent';
import { createLogger, type RunningControlPlane, resolveConfig, runControlPlane } from '@isotyp/control-plane';
import { formatVkey, generateKeyPair, toBase64 } from '@isotyp/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleEntries, tempAuditPath } from '../../packages/agent/src/audit/test-support.js';

const password = 'correct horse battery staple';

describe('checkpoints between an agent and a real control plane', () => {
  let cp: RunningControlPlane;
  let dir: string;
  let admin: string;
  let agentToken: string;

  const api = async (method: string, path: string, token?: string, body?: unknown) => {
    const response = await fetch(`${cp.url}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(method === 'POST' ? { 'idempotency-key': randomUUID() } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers.
    return (await response.json()) as any;
  };
  const login = async (email: string) =>
    (await api('POST', '/v1/auth/login', undefined, { org: 'acme', email, password })).accessToken as string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'isotyp-agent-cp-'));
    cp = await runControlPlane({
      config: resolveConfig({
        database: `sqlite:${join(dir, 'cp.db')}`,
        port: 0,
        publicUrl: 'http://127.0.0.1:7300',
        rateLimit: { perIp: 100_000, perPrincipal: 100_000, windowSeconds: 60 },
      }),
      logger: createLogger({ level: 'silent' }),
      firstAdmin: { orgId: 'acme', orgName: 'Acme', email: 'admin@acme.test', password },
    });
    admin = await login('admin@acme.test');
    await api('POST', '/v1/users', admin, {
      email: 'agent@acme.test',
      displayName: 'agent',
      password,
      grants: [{ role: 'agent', scope: { kind: 'org' } }],
    });
    agentToken = await login('agent@acme.test');
  }, 60_000);

  afterAll(async () => {
    await cp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends consistent checkpoints, and the control plane catches a restored snapshot as a fork and a truncation', async () => {
    const path = tempAuditPath();
    const key = { name: 'isotyp.agent/ag_real', secretKey: generateKeyPair().secretKey };
    const withLog = async <T>(work: (log: ReturnType<typeof openAuditLog>) => T | Promise<T>): Promise<T> => {
      const log = openAuditLog(path);
      try {
        return await work(log);
      } finally {
        log.close();
      }
    };
    const send = () =>
      withLog((log) => sendCheckpoint(log, { server: cp.url, token: agentToken, agentId: 'ag_real', key }));

    await withLog((log) => log.append(sampleEntries(5)));
    expect(await send()).toEqual({ size: 5, created: true });
    expect(await withLog((log) => log.upstream()?.size)).toBe(5);
    const snapshot = `${path}.snapshot`;
    copyFileSync(path, snapshot);

    await withLog((log) => log.append(sampleEntries(4, 5)));
    expect(await send()).toEqual({ size: 9, created: true });
    expect(await send()).toEqual({ size: 9, created: false });
    const accepted = await api('GET', '/v1/audit/agent-checkpoints/ag_real', agentToken);
    expect(accepted).toMatchObject({
      size: 9,
      root: toBase64(await withLog((log) => log.checkpoint().root)),
    });

    // Someone restores the older file and carries on: a different history of the same size.
    const restore = () => {
      for (const suffix of ['-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
      copyFileSync(snapshot, path);
    };
    restore();
    await withLog((log) => log.append(sampleEntries(4, 100)));
    await expect(send()).rejects.toMatchObject({ code: 'ISOTYP_AUDIT_TAMPERED', details: { reason: 'fork' } });
    // The snapshot alone is a truncation.
    restore();
    await expect(send()).rejects.toMatchObject({ code: 'ISOTYP_AUDIT_TAMPERED', details: { reason: 'truncation' } });
    expect(await withLog((log) => log.upstream()?.size)).toBe(5);

    const alerts = await api('GET', '/v1/audit/entries?entity=agent:ag_real', admin);
    expect(alerts.entries.map((e: { action: string }) => e.action)).toEqual([
      'audit.fork-detected',
      'audit.fork-detected',
    ]);
    expect(await api('GET', '/v1/audit/agent-checkpoints/ag_real', agentToken)).toEqual(accepted);
  });

  it('verifies the control plane’s own checkpoints, consistency and inclusion proofs', async () => {
    const { vkey } = await api('GET', '/v1/audit/log-key', agentToken);
    const first = await readControlPlaneLog({ server: cp.url, token: agentToken, vkey });
    expect(first.origin).toBe('isotyp.control-plane/127.0.0.1:7300');
    await api('POST', '/v1/projects', admin, { name: 'shop' });
    const { entries } = await api('GET', '/v1/audit/entries?entity=agent:ag_real', admin);
    const seqs = entries.map((e: { seq: number }) => e.seq);
    const next = await readControlPlaneLog({ server: cp.url, token: admin, vkey, previous: first, seqs });
    expect(next.size).toBeGreaterThan(first.size);
    // Pinned to another key, the same honest answers are refused.
    const stranger = formatVkey({ name: first.origin, publicKey: generateKeyPair().publicKey });
    await expect(readControlPlaneLog({ server: cp.url, token: admin, vkey: stranger })).rejects.toMatchObject({
      code: 'ISOTYP_AUDIT_TAMPERED',
      details: { reason: 'signature' },
    });
  });
});

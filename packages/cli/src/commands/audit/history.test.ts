import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAuditLog } from '@isotyp/agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HistoryEntry, mergedHistory } from '../../services/audit.js';
import { sessionTokens } from '../../services/control-plane/client.js';
import { SessionFile } from '../../services/control-plane/session.js';
import {
  type LiveControlPlane,
  startLiveControlPlane,
} from '../../services/control-plane/test-support/live-control-plane.js';

/*
 * `isotyp audit history` with a session: the agent's entries and the real control plane's
 * (SQLite store, loopback HTTP) about one entity, merged by time, each control-plane entry
 * checked against the control plane's signed checkpoint. Run in process through the service
 * the command calls (the command only prints what it returns).
 */
const password = 'ana-s3cret-passphrase';
let cp: LiveControlPlane;
let projectId: string;

/** A fresh $ISOTYP_HOME, signed in as `email` (to `server`) when given, with two local entries about the project. */
async function home(email?: string, server?: string): Promise<NodeJS.ProcessEnv> {
  const dir = join(mkdtempSync(join(tmpdir(), 'isotyp-history-')), '.isotyp');
  const log = openAuditLog(join(dir, 'audit.db'), { clock: () => new Date(Date.now() - 60_000) });
  log.append([{ actor: 'user:local', action: 'plan', entity: { kind: 'project', id: projectId } }]);
  log.close();
  const later = openAuditLog(join(dir, 'audit.db'), { clock: () => new Date(Date.now() + 60_000) });
  later.append([{ actor: 'user:local', action: 'apply', entity: { kind: 'project', id: projectId } }]);
  later.close();
  if (email !== undefined) {
    const pair = await cp.signIn(email, password);
    new SessionFile(dir).write({
      server: server ?? cp.url,
      ...sessionTokens({ ...pair, expiresIn: 900, tokenType: 'Bearer' }),
      org: 'acme',
      email,
    });
  }
  return { ISOTYP_HOME: dir };
}

const pinsOf = (env: NodeJS.ProcessEnv) => join(env.ISOTYP_HOME as string, 'control-plane-logs.json');

beforeAll(async () => {
  cp = await startLiveControlPlane({ org: 'acme', admin: { email: 'ana@acme.test', password } });
  const admin = await cp.login('ana@acme.test', password);
  const project = await cp.ok('POST', '/v1/projects', { token: admin, body: { name: 'shop' } });
  projectId = project.id;
  await cp.ok('POST', `/v1/projects/${projectId}/environments`, {
    token: admin,
    body: { name: 'prod', privacyMode: 'structure' },
  });
  await cp.createUser(admin, {
    email: 'vic@acme.test',
    password,
    grants: [{ role: 'viewer', scope: { kind: 'org' } }],
  });
}, 60_000);

afterAll(async () => {
  await cp?.close();
});

describe('audit history with a control plane', () => {
  it('merges both logs by time, marks sources, and verifies each control-plane entry', async () => {
    const env = await home('ana@acme.test');
    const { entries, warning } = await mergedHistory(`project:${projectId}`, env);
    expect(warning).toBeUndefined();
    const lines = (entries as HistoryEntry[]).map((e) => [e.source, e.action, e.verified]);
    expect(lines).toEqual([
      ['agent', 'plan', undefined],
      ['control-plane', 'project.create', true],
      ['agent', 'apply', undefined],
    ]);
    const times = entries.map((e) => e.time);
    expect([...times].sort()).toEqual(times);
    // The log key is pinned on first use, with the head this CLI verified.
    const pins = JSON.parse(readFileSync(pinsOf(env), 'utf8'));
    expect(pins[cp.url]).toMatchObject({ name: 'isotyp.control-plane/127.0.0.1:7300' });
    const size = pins[cp.url].size as number;
    // The log grows; the next run proves the new head extends the pinned one.
    await cp.ok('POST', '/v1/projects', { token: await cp.login('ana@acme.test', password), body: { name: 'more' } });
    const again = (await mergedHistory(`project:${projectId}`, env)).entries as HistoryEntry[];
    expect(again.filter((e) => e.source === 'control-plane').every((e) => e.verified)).toBe(true);
    expect(JSON.parse(readFileSync(pinsOf(env), 'utf8'))[cp.url].size).toBeGreaterThan(size);
  });

  it('marks control-plane entries unverified when the log key, or the log, is not the one seen before', async () => {
    const env = await home('ana@acme.test');
    await mergedHistory(`project:${projectId}`, env);
    const pinned = JSON.parse(readFileSync(pinsOf(env), 'utf8'));
    const entry = pinned[cp.url];
    const cases = [
      [{ ...entry, vkey: `${entry.vkey}x` }, /log key changed/],
      [{ ...entry, size: entry.size + 1000 }, /shrank/],
      [{ ...entry, root: Buffer.alloc(32, 7).toString('base64') }, /forked/],
      [{ ...entry, size: entry.size - 1 }, /does not extend/],
    ] as const;
    for (const [pin, reason] of cases) {
      writeFileSync(pinsOf(env), JSON.stringify({ [cp.url]: pin }));
      const { entries } = await mergedHistory(`project:${projectId}`, env);
      const remote = (entries as HistoryEntry[]).filter((e) => e.source === 'control-plane');
      expect(remote.length, String(reason)).toBeGreaterThan(0);
      for (const e of remote)
        expect(e, String(reason)).toMatchObject({ verified: false, unverified: expect.stringMatching(reason) });
      // A failed check never moves the pin.
      expect(JSON.parse(readFileSync(pinsOf(env), 'utf8'))[cp.url]).toEqual(pin);
    }
  });

  it('marks entries unverified when a man in the middle forges their proofs or their text', async () => {
    // Forwards to the real control plane, rewriting inclusion proofs one way or another.
    let forge: (proof: { hashes: string[]; entry: string; leafIndex: number }) => unknown = (p) => p;
    const proxy = createServer(async (req, res) => {
      const headers = { authorization: req.headers.authorization ?? '', accept: 'application/json' };
      const answer = await fetch(`${cp.url}${req.url}`, { headers });
      let body = await answer.text();
      if (answer.ok && req.url?.startsWith('/v1/audit/proof/inclusion')) body = JSON.stringify(forge(JSON.parse(body)));
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const env = await home('ana@acme.test', `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`);
      const flip = (h: string) => (h.startsWith('0') ? `1${h.slice(1)}` : `0${h.slice(1)}`);
      const forgeries = [
        (p: { hashes: string[] }) => ({ ...p, hashes: p.hashes.map(flip) }),
        (p: { hashes: string[] }) => ({ ...p, hashes: p.hashes.slice(1) }),
        (p: { entry: string }) => ({ ...p, entry: p.entry.replace('project.create', 'project.delete') }),
        (p: { leafIndex: number }) => ({ ...p, leafIndex: p.leafIndex + 1 }),
      ];
      for (const f of forgeries) {
        forge = f as typeof forge;
        const { entries } = await mergedHistory(`project:${projectId}`, env);
        const remote = (entries as HistoryEntry[]).filter((e) => e.source === 'control-plane');
        expect(remote).toHaveLength(1);
        expect(remote[0]).toMatchObject({ action: 'project.create', verified: false });
      }
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('shows the local entries with a warning when the user may not read the control plane’s log', async () => {
    const env = await home('vic@acme.test');
    const { entries, warning } = await mergedHistory(`project:${projectId}`, env);
    expect(warning).toMatch(/not shown/);
    expect((entries as HistoryEntry[]).map((e) => [e.source, e.action])).toEqual([
      ['agent', 'plan'],
      ['agent', 'apply'],
    ]);
  });

  it('keeps today’s behaviour without a session: the agent log only, unmarked', async () => {
    const env = await home();
    const { entries } = await mergedHistory(`project:${projectId}`, env);
    expect(entries.map((e) => e.action)).toEqual(['plan', 'apply']);
    expect(entries.every((e) => !('source' in e))).toBe(true);
  });
});

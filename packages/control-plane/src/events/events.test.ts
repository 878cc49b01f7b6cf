import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DomainEvent, verifyWebhook } from '@isotyp/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDatabase } from '../../../../scripts/test-support/postgres.js';
import { EventStreamClient } from '../test-support/event-stream.js';
import { eventually } from '../test-support/eventually.js';
import { ADMIN_PASSWORD, type LiveControlPlane, liveControlPlane } from '../test-support/live-control-plane.js';

/**
 * Events (issue 10): the audit log is the outbox; every replica streams it over SSE and the
 * replicas together send each webhook its events, signed, retried, dead-lettered, replayable.
 * Two control planes share one database here, as two replicas would.
 */

/** A webhook receiver on loopback: verifies each delivery, answers what `answer` says. */
class Receiver {
  readonly deliveries: { id: string; event: DomainEvent; status: number }[] = [];
  readonly refused: string[] = [];
  answer: (event: DomainEvent, tries: number) => number = () => 204;
  secret = '';
  #server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    const server = createServer((request, response) => {
      void this.#handle(request).then((status) => {
        response.statusCode = status;
        response.end();
      });
    });
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  }

  async #handle(request: IncomingMessage): Promise<number> {
    let body = '';
    for await (const chunk of request) body += chunk;
    try {
      const event = verifyWebhook(this.secret, request.headers as Record<string, string>, body);
      const id = String(request.headers['isotyp-webhook-id']);
      const tries = this.deliveries.filter((d) => d.event.id === event.id).length + 1;
      const status = this.answer(event, tries);
      this.deliveries.push({ id, event, status });
      return status;
    } catch (error) {
      this.refused.push((error as { code?: string }).code ?? 'unknown');
      return 400;
    }
  }

  /** Events answered 2xx, each counted once however often it came (an idempotent consumer). */
  accepted(): DomainEvent[] {
    const seen = new Map<string, DomainEvent>();
    for (const d of this.deliveries) if (d.status < 300) seen.set(d.event.id, d.event);
    return [...seen.values()].sort((a, b) => a.seq - b.seq);
  }

  async close(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise((resolve) => this.#server?.close(resolve));
  }
}

const webhookSettings = { allowHttp: true, baseDelayMs: 20, maxDelayMs: 100, maxAttempts: 3, timeoutMs: 2000 };

describe.each([
  ['SQLite', async () => `sqlite:${join(mkdtempSync(join(tmpdir(), 'isotyp-cp-events-')), 'cp.db')}`],
  ['PostgreSQL', async () => (await tempDatabase()).url],
])('events on %s, two replicas', (_name, database) => {
  let a: LiveControlPlane;
  let b: LiveControlPlane;
  let url: string;
  let admin: string;

  beforeAll(async () => {
    url = await database();
    a = await liveControlPlane(url, { webhooks: webhookSettings });
    b = await liveControlPlane(url, { webhooks: webhookSettings });
    admin = await a.login('admin@acme.test');
  }, 60_000);

  afterAll(async () => {
    await b?.close();
    await a?.close();
    if (url?.startsWith('sqlite:')) rmSync(join(url.slice('sqlite:'.length), '..'), { recursive: true, force: true });
  });

  const project = async (name: string) =>
    (await a.ok('POST', '/v1/projects', { token: admin, body: { name } })).id as string;

  it('streams on one replica, in order and without a gap, what is written through the other', async () => {
    const stream = await EventStreamClient.open(b.url, admin, { query: '?types=project.*' });
    try {
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push(await project(`streamed-${i}`));
      const events = await stream.until((got) => got.length >= 5);
      expect(events.map((e) => e.entity.id)).toEqual(ids);
      expect(events.every((e) => e.type === 'project.create' && e.org === 'acme' && e.actor.startsWith('user:'))).toBe(
        true,
      );
      // Seqs rise; ids are evt_<seq>; the SSE id line carries the seq.
      expect(events.map((e) => e.seq)).toEqual([...events.map((e) => e.seq)].sort((x, y) => x - y));
      expect(events.every((e) => e.id === `evt_${e.seq}`)).toBe(true);
      expect(stream.messages.filter((m) => m.event === 'project.create').map((m) => Number(m.id))).toEqual(
        events.map((e) => e.seq),
      );
      // Names stay out of events: the project's name is nowhere in what was streamed.
      expect(stream.messages.map((m) => m.data).join('\n')).not.toContain('streamed-');
    } finally {
      await stream.close();
    }
  });

  it('resumes from Last-Event-ID with exactly what was missed', async () => {
    const first = await EventStreamClient.open(a.url, admin, { query: '?types=project.create' });
    await project('before-gap');
    await first.until((got) => got.length >= 1);
    const last = first.lastSeq;
    await first.close();
    const missed = [await project('gap-1'), await project('gap-2'), await project('gap-3')];
    const second = await EventStreamClient.open(b.url, admin, { lastEventId: last, query: '?types=project.create' });
    try {
      const events = await second.until((got) => got.length >= 3);
      expect(events.map((e) => e.entity.id)).toEqual(missed);
      expect(events[0]?.seq).toBeGreaterThan(last);
    } finally {
      await second.close();
    }
  });

  it('refuses a stream to whoever may not read the audit log, and a malformed Last-Event-ID', async () => {
    const email = `viewer-${Date.now()}@acme.test`;
    await a.ok('POST', '/v1/users', {
      token: admin,
      body: {
        email,
        displayName: 'Vi',
        password: ADMIN_PASSWORD,
        grants: [{ role: 'viewer', scope: { kind: 'org' } }],
      },
    });
    const refused = await EventStreamClient.open(b.url, await a.login(email));
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.messages[0]?.data ?? '{}').error.code).toBe('ISOTYP_FORBIDDEN');
    const response = await fetch(`${b.url}/v1/events`, {
      headers: { authorization: `Bearer ${admin}`, 'last-event-id': 'yesterday' },
    });
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatchObject({ code: 'ISOTYP_INVALID_INPUT', hint: expect.any(String) });
  });

  describe('webhooks', () => {
    const receiver = new Receiver();
    let hookId: string;

    beforeAll(async () => {
      await receiver.start();
      const created = await a.ok('POST', '/v1/webhooks', {
        token: admin,
        body: { url: receiver.url, events: ['project.*'], description: 'projects feed' },
      });
      receiver.secret = created.secret;
      hookId = created.id;
      expect(created.secret).toMatch(/^whsec_/);
    });
    afterAll(() => receiver.close());

    it('delivers each matching event once, signed, from whichever replica, and lists no secret', async () => {
      const ids = [await project('hooked-1'), await project('hooked-2')];
      await b.ok('POST', '/v1/projects', { token: admin, body: { name: 'hooked-3' } }).then((p) => ids.push(p.id));
      await eventually(() => expect(receiver.accepted().map((e) => e.entity.id)).toEqual(ids));
      // Two replicas, one healthy receiver: no event was sent twice.
      expect(receiver.deliveries.filter((d) => ids.includes(d.event.entity.id))).toHaveLength(3);
      expect(receiver.refused).toEqual([]);
      const listed = await b.ok('GET', '/v1/webhooks', { token: admin });
      expect(listed.webhooks).toEqual([expect.objectContaining({ id: hookId, events: ['project.*'] })]);
      expect(JSON.stringify(listed)).not.toContain(receiver.secret);
      const delivered = await a.ok('GET', `/v1/webhooks/deliveries?webhookId=${hookId}&status=delivered`, {
        token: admin,
      });
      expect(delivered.deliveries.length).toBeGreaterThanOrEqual(3);
    });

    it('retries with backoff until the receiver recovers, then moves a lasting failure to the dead letters', async () => {
      receiver.answer = (event, tries) => (event.entity.id.length > 0 && tries < 3 ? 503 : 204);
      const flaky = await project('flaky');
      await eventually(() => expect(receiver.accepted().map((e) => e.entity.id)).toContain(flaky));
      expect(receiver.deliveries.filter((d) => d.event.entity.id === flaky).map((d) => d.status)).toEqual([
        503, 503, 204,
      ]);

      receiver.answer = () => 500;
      const doomed = await project('doomed');
      const dead = await eventually(async () => {
        const answer = await a.ok('GET', `/v1/webhooks/deliveries?webhookId=${hookId}&status=dead`, { token: admin });
        expect(answer.deliveries).toHaveLength(1);
        return answer.deliveries[0];
      });
      expect(dead).toMatchObject({ status: 'dead', attempts: 3, lastError: 'http_500' });
      expect(receiver.deliveries.filter((d) => d.event.entity.id === doomed)).toHaveLength(3);

      // The receiver is fixed; the operator replays the dead letters.
      receiver.answer = () => 200;
      const replayed = await b.ok('POST', '/v1/webhooks/dead-letters/replay', {
        token: admin,
        body: { webhookId: hookId },
      });
      expect(replayed.replayed).toEqual([dead.id]);
      await eventually(() => expect(receiver.accepted().map((e) => e.entity.id)).toContain(doomed));
      const after = await a.ok('GET', `/v1/webhooks/deliveries?webhookId=${hookId}&status=dead`, { token: admin });
      expect(after.deliveries).toEqual([]);
      // Replaying again finds nothing to replay.
      expect((await a.ok('POST', '/v1/webhooks/dead-letters/replay', { token: admin, body: {} })).replayed).toEqual([]);
    });

    it('refuses URLs with credentials or another scheme, with a hint, and unknown webhooks', async () => {
      for (const bad of ['ftp://example.test/x', 'https://user:pw@example.test/hook', 'not a url']) {
        const answer = await a.call('POST', '/v1/webhooks', { token: admin, body: { url: bad, events: ['*'] } });
        expect(answer.status).toBe(400);
        expect(answer.body.error).toMatchObject({ code: 'ISOTYP_INVALID_INPUT', hint: expect.any(String) });
        expect(JSON.stringify(answer.body)).not.toContain('pw@');
      }
      const pattern = await a.call('POST', '/v1/webhooks', {
        token: admin,
        body: { url: receiver.url, events: ['Change Approve'] },
      });
      expect(pattern.status).toBe(400);
      expect((await a.call('DELETE', '/v1/webhooks/whk_nope', { token: admin })).status).toBe(404);
      const replay = await a.call('POST', '/v1/webhooks/dead-letters/replay', {
        token: admin,
        body: { webhookId: 'whk_nope' },
      });
      expect(replay.status).toBe(404);
    });

    it('stops delivering once the webhook is deleted', async () => {
      await a.ok('DELETE', `/v1/webhooks/${hookId}`, { token: admin });
      const before = receiver.deliveries.length;
      const gone = await project('after-delete');
      // The events stream shows the project was announced; the deleted webhook got nothing.
      const stream = await EventStreamClient.open(b.url, admin, { query: '?after=-1&types=project.create' });
      await stream.until((got) => got.some((e) => e.entity.id === gone));
      await stream.close();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(receiver.deliveries.length).toBe(before);
    });
  });
});

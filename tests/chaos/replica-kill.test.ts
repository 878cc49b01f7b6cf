import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type DomainEvent, verifyWebhook } from '@isotyp/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventStreamClient } from '../../packages/control-plane/src/test-support/event-stream.js';
import { eventually } from '../../packages/control-plane/src/test-support/eventually.js';
import { queryRows, tempDatabase } from '../../scripts/test-support/postgres.js';
import { type ReplicaSet, startReplicaSet } from '../../scripts/test-support/replica-set.mjs';

/*
 * Chaos, bounded and on loopback: two control-plane processes behind nginx on one PostgreSQL
 * database, writers creating objects through nginx without pause, an SSE reader and a webhook
 * receiver following the events — and one replica killed with SIGKILL in the middle. Afterwards
 * every committed write has its event, the reader (reconnecting with Last-Event-ID, as
 * EventSource does) saw every one of them once and in order, and the webhook got each at least
 * once (the dead replica's claimed deliveries are taken over once their claim expires).
 * About 30 s.
 */

const WRITE_MS = 8_000;
const KILL_AT_MS = 3_000;

let set: ReplicaSet;
let database: string;
let receiver: Server;
let receiverUrl: string;
let secret = '';
const hooked = new Map<string, DomainEvent>();

beforeAll(async () => {
  database = (await tempDatabase()).url;
  set = await startReplicaSet({
    database,
    replicas: 2,
    tls: false,
    nginx: { failTimeoutSeconds: 1 },
    config: {
      // A claim outlives a send by timeoutMs · 2 + 5 s: kept short so the take-over shows here.
      webhooks: { allowHttp: true, baseDelayMs: 50, maxDelayMs: 500, maxAttempts: 20, timeoutMs: 500 },
      latencyBudgetMs: 0,
      rateLimit: { perIp: 1_000_000, perPrincipal: 1_000_000, windowSeconds: 60 },
    },
  });
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const event = verifyWebhook(secret, request.headers as Record<string, string>, body);
      hooked.set(event.id, event);
      response.statusCode = 204;
      response.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
}, 120_000);

afterAll(async () => {
  receiver?.closeAllConnections();
  await new Promise((resolve) => receiver?.close(resolve));
  await set?.close();
});

async function call(method: string, path: string, token: string | undefined, body?: unknown) {
  const response = await fetch(`${set.url}${path}`, {
    method,
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(method === 'POST' ? { 'idempotency-key': randomUUID() } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

/**
 * Follows the stream through nginx like EventSource: when the connection drops (its replica
 * died), it reconnects with the last id it saw.
 */
function follow(token: string, stop: { done: boolean }) {
  const events: DomainEvent[] = [];
  let reconnects = 0;
  const run = (async () => {
    let last: number | undefined;
    while (!stop.done) {
      let client: EventStreamClient;
      try {
        // First on the replica about to die, then wherever nginx sends it.
        const base = last === undefined && reconnects === 0 ? (set.replicas[0]?.url ?? set.url) : set.url;
        client = await EventStreamClient.open(base, token, {
          ...(last === undefined
            ? { query: '?types=project.create' }
            : { lastEventId: last, query: '?types=project.create' }),
        });
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      if (client.status !== 200) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      let seen = 0;
      while (!client.ended && !stop.done) {
        await client.until((got) => got.length > seen || stop.done, 60_000).catch(() => undefined);
        for (const event of client.events.slice(seen)) events.push(event);
        seen = client.events.length;
        if (events.length > 0) last = (events.at(-1) as DomainEvent).seq;
      }
      for (const event of client.events.slice(seen)) events.push(event);
      if (events.length > 0) last = (events.at(-1) as DomainEvent).seq;
      await client.close();
      if (!stop.done) reconnects++;
    }
  })();
  return { events, run, reconnects: () => reconnects };
}

describe('kill -9 a replica under load', () => {
  it('loses no event: every committed write is streamed once, in order, and reaches the webhook', async () => {
    const login = await call('POST', '/v1/auth/login', undefined, {
      org: set.firstAdmin.orgId,
      email: set.firstAdmin.email,
      password: set.firstAdmin.password,
    });
    expect(login.status).toBe(200);
    const token = login.body.accessToken as string;
    const hook = await call('POST', '/v1/webhooks', token, { url: receiverUrl, events: ['project.create'] });
    expect(hook.status).toBe(201);
    secret = hook.body.secret;

    const stop = { done: false };
    const reader = follow(token, stop);
    await new Promise((resolve) => setTimeout(resolve, 300));

    const answered: string[] = [];
    let failed = 0;
    const writer = async (n: number) => {
      const until = Date.now() + WRITE_MS;
      for (let i = 0; Date.now() < until; i++) {
        try {
          const answer = await call('POST', '/v1/projects', token, { name: `w${n}-${i}` });
          if (answer.status === 201) answered.push(answer.body.id);
          else failed++;
        } catch {
          failed++; // the connection died with the replica
        }
      }
    };
    const victim = set.replicas[0];
    const kill = (async () => {
      await new Promise((resolve) => setTimeout(resolve, KILL_AT_MS));
      await victim?.kill('SIGKILL');
    })();
    await Promise.all([writer(1), writer(2), writer(3), writer(4), kill]);

    // What the database committed is the truth: each created project has its audit entry.
    const committed = await queryRows<{ entity_id: string; seq: string }>(
      database,
      "SELECT entity_id, seq FROM audit_entries WHERE action = 'project.create' ORDER BY seq",
    );
    const committedIds = committed.map((row) => row.entity_id);
    expect(committedIds.length).toBeGreaterThan(20);
    // Every write answered 201 was committed (and announced); a write cut off by the kill
    // either committed whole or left nothing — there is no third state to find.
    for (const id of answered) expect(committedIds).toContain(id);

    // The reader caught up through the surviving replica: every event once, in seq order.
    await eventually(async () => {
      expect(reader.events.map((e) => e.entity.id)).toEqual(committedIds);
    }, 30_000);
    expect(reader.events.map((e) => e.seq)).toEqual(committed.map((row) => Number(row.seq)));

    // The webhook got every one of them (receivers de-duplicate on the event id).
    await eventually(async () => {
      expect(
        [...hooked.values()]
          .map((e) => e.entity.id)
          .sort()
          .join(','),
      ).toBe([...committedIds].sort().join(','));
    }, 45_000);
    stop.done = true;
    await reader.run;

    // The killed replica comes back and serves again.
    await victim?.restart();
    const again = await call('GET', '/v1/projects', token);
    expect(again.status).toBe(200);
    // The reader was on the killed replica: it had to reconnect, and lost nothing doing so.
    expect(reader.reconnects()).toBeGreaterThanOrEqual(1);
    console.info(
      `replica kill: ${answered.length} writes answered, ${failed} cut off, ${reader.reconnects()} reconnects`,
    );
  }, 120_000);
});

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DomainEvent } from '@isotyp/protocol';
import { connect } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../../scripts/test-support/free-port.mjs';
import { tempDatabase } from '../../../../scripts/test-support/postgres.js';
import { eventually } from '../test-support/eventually.js';
import { type LiveControlPlane, liveControlPlane } from '../test-support/live-control-plane.js';

/**
 * The NATS JetStream adapter against Debian's nats-server on loopback: two replicas relay the
 * same log, consumers get each event once (de-duplicated by its id), in order, and what
 * happens while NATS is down arrives once it is back.
 */

class NatsServer {
  #child: ChildProcess | undefined;
  constructor(
    readonly port: number,
    readonly dir: string,
  ) {}
  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    this.#child = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(this.port), '-sd', this.dir], {
      stdio: 'ignore',
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const probe = await connect({ servers: this.url, timeout: 500, reconnect: false });
        await probe.close();
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
  async stop(): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

/** Every message of the stream, from the first, as events. */
async function streamed(url: string): Promise<DomainEvent[]> {
  const connection = await connect({ servers: url });
  try {
    const manager = await connection.jetstreamManager();
    const info = await manager.streams.info('ISOTYP_EVENTS');
    const events: DomainEvent[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const message = await manager.streams.getMessage('ISOTYP_EVENTS', { seq });
      events.push(JSON.parse(new TextDecoder().decode(message.data)) as DomainEvent);
    }
    return events;
  } finally {
    await connection.close();
  }
}

describe('events to NATS JetStream, two replicas', () => {
  let nats: NatsServer;
  let a: LiveControlPlane;
  let b: LiveControlPlane;
  let admin: string;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'isotyp-nats-'));
    nats = new NatsServer(await freePort(), dir);
    await nats.start();
    const { url } = await tempDatabase();
    const settings = { url: nats.url, stream: 'ISOTYP_EVENTS', subjectPrefix: 'isotyp.events' };
    a = await liveControlPlane(url, { nats: settings });
    b = await liveControlPlane(url, { nats: settings });
    admin = await a.login('admin@acme.test');
  }, 60_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const project = async (cp: LiveControlPlane, name: string) =>
    (await cp.ok('POST', '/v1/projects', { token: admin, body: { name } })).id as string;

  it('publishes each event once, in order, under <prefix>.<org>.<type>, and catches up after an outage', async () => {
    const ids = [await project(a, 'n1'), await project(b, 'n2'), await project(a, 'n3')];
    const first = await eventually(async () => {
      const events = (await streamed(nats.url)).filter((e) => e.type === 'project.create');
      expect(events.map((e) => e.entity.id)).toEqual(ids);
      return events;
    }, 20_000);
    expect(first.every((e) => e.org === 'acme' && e.id === `evt_${e.seq}`)).toBe(true);

    // NATS goes away; changes keep being made; nothing is lost.
    await nats.stop();
    const during = [await project(a, 'n4'), await project(b, 'n5')];
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await nats.start();
    const all = await eventually(async () => {
      const events = await streamed(nats.url);
      expect(events.filter((e) => e.type === 'project.create').map((e) => e.entity.id)).toEqual([...ids, ...during]);
      return events;
    }, 20_000);
    // Every event of the log after the relay started, each exactly once, in seq order.
    const seqs = all.map((e) => e.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(seqs.at(-1)).toBe((await a.server.store.audit.size()) - 1);
  });
});

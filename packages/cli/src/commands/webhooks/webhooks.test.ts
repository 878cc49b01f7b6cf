import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from '@isotyp/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LiveControlPlane,
  startLiveControlPlane,
} from '../../services/control-plane/test-support/live-control-plane.js';
import { runCliAsync, scratchHome } from '../../services/control-plane/test-support/run-cli-async.js';

/*
 * `isotyp webhooks` end to end: the built binary against a real control plane (SQLite, loopback
 * HTTP) and a real receiver. An admin registers a webhook, the receiver is down long enough for
 * a delivery to die, and `isotyp webhooks replay` sends it again once it is back.
 */
const password = 'ana-s3cret-passphrase';
let cp: LiveControlPlane;
let receiver: Server;
let receiverUrl: string;
let secret = '';
let up = false;
const received: { id: string; type: string }[] = [];
const home = scratchHome();
const env = () => ({ ISOTYP_SERVER: cp.url });
const isotyp = (...args: string[]) => runCliAsync(args, { home, env: env() });

beforeAll(async () => {
  cp = await startLiveControlPlane({
    org: 'acme',
    admin: { email: 'ana@acme.test', password },
    webhooks: { allowHttp: true, baseDelayMs: 20, maxDelayMs: 50, maxAttempts: 2, timeoutMs: 2000 },
  });
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      if (!up) {
        response.statusCode = 503;
        response.end();
        return;
      }
      const event = verifyWebhook(secret, request.headers as Record<string, string>, body);
      received.push({ id: event.id, type: event.type });
      response.statusCode = 204;
      response.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/isotyp`;
  const login = await runCliAsync(['login', '--org', 'acme', '--email', 'ana@acme.test', '--password-stdin'], {
    home,
    env: env(),
    input: password,
  });
  expect(login.status, login.stderr).toBe(0);
}, 60_000);

afterAll(async () => {
  receiver?.closeAllConnections();
  await new Promise((resolve) => receiver?.close(resolve));
  await cp?.close();
});

async function eventually<T>(probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('isotyp webhooks', () => {
  it('creates, lists, shows dead letters, replays them and deletes', async () => {
    const created = await isotyp('webhooks', 'create', '--url', receiverUrl, '--events', 'project.*', '--json');
    expect(created.status, created.stderr).toBe(0);
    const hook = JSON.parse(created.stdout);
    secret = hook.secret;
    expect(hook).toMatchObject({ url: receiverUrl, events: ['project.*'] });

    const listed = await isotyp('webhooks', 'list');
    expect(listed.stdout).toContain(hook.id);
    expect(listed.stdout).not.toContain(secret);

    // The receiver is down: the delivery fails both tries and dies.
    const admin = await cp.login('ana@acme.test', password);
    const project = await cp.ok('POST', '/v1/projects', { token: admin, body: { name: 'hooked' } });
    const dead = await eventually(async () => {
      const answer = await isotyp('webhooks', 'deliveries', '--status', 'dead', '--json');
      const rows = JSON.parse(answer.stdout) as { id: string; lastError: string; attempts: number }[];
      return rows.length > 0 ? rows : undefined;
    });
    expect(dead).toEqual([expect.objectContaining({ attempts: 2, lastError: 'http_503' })]);
    const text = await isotyp('webhooks', 'deliveries', '--status', 'dead');
    expect(text.stdout).toMatch(/DELIVERY\s+EVENT\s+STATUS/);
    expect(text.stdout).toContain('http_503');

    up = true;
    const replayed = await isotyp('webhooks', 'replay', '--webhook', hook.id);
    expect(replayed.status, replayed.stderr).toBe(0);
    expect(replayed.stdout).toContain('Replayed 1 delivery.');
    await eventually(async () => (received.length > 0 ? true : undefined));
    expect(received).toEqual([{ id: expect.stringMatching(/^evt_\d+$/), type: 'project.create' }]);
    expect(project.id).toMatch(/^prj_/);
    const again = await isotyp('webhooks', 'replay');
    expect(again.stdout).toContain('No dead letters to replay.');

    const removed = await isotyp('webhooks', 'delete', hook.id, '--json');
    expect(JSON.parse(removed.stdout)).toEqual({ id: hook.id, deleted: true });
    expect((await isotyp('webhooks', 'list')).stdout).toContain('No webhooks.');
  });

  it('refuses a URL with credentials, with the code and a hint, and leaks nothing of it', async () => {
    const bad = await isotyp(
      'webhooks',
      'create',
      '--url',
      'https://bob:hunter2@hooks.example.test/x',
      '--events',
      '*',
    );
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('ISOTYP_INVALID_INPUT');
    expect(bad.stderr).toMatch(/Hint:/);
    expect(bad.stderr).not.toContain('hunter2');
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });
});

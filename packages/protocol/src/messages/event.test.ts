import { describe, expect, it } from 'vitest';
import { type DomainEvent, eventMatches, signWebhook, verifyWebhook, WEBHOOK_HEADERS } from './event.js';

const event: DomainEvent = {
  id: 'evt_42',
  seq: 42,
  type: 'change.approve',
  time: '2026-11-26T10:00:00.000Z',
  org: 'acme',
  actor: 'user:usr_1',
  entity: { kind: 'change', id: 'chg_1' },
};
const secret = 'whsec_test-secret-of-the-webhook';
const body = JSON.stringify(event);
const now = 1_800_000_000;
const headers = (signature: string, timestamp = now) => ({
  [WEBHOOK_HEADERS.timestamp]: String(timestamp),
  [WEBHOOK_HEADERS.signature]: signature,
});

describe('webhook signatures', () => {
  it('accept a delivery signed with the secret, from a Headers object or a plain record', () => {
    const signature = signWebhook(secret, now, body);
    expect(signature).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(verifyWebhook(secret, headers(signature), body, { now })).toEqual(event);
    expect(verifyWebhook(secret, new Headers(headers(signature)), body, { now: now + 299 })).toEqual(event);
    // During a secret rotation a sender may offer two signatures; one valid is enough.
    expect(verifyWebhook(secret, headers(`v1=${'0'.repeat(64)}, ${signature}`), body, { now })).toEqual(event);
  });

  it.each([
    ['another secret', () => verifyWebhook('whsec_other', headers(signWebhook(secret, now, body)), body, { now })],
    [
      'an edited body',
      () => verifyWebhook(secret, headers(signWebhook(secret, now, body)), body.replace('42', '43'), { now }),
    ],
    ['a moved timestamp', () => verifyWebhook(secret, headers(signWebhook(secret, now, body), now + 1), body, { now })],
    [
      'an old capture',
      () => verifyWebhook(secret, headers(signWebhook(secret, now - 301, body), now - 301), body, { now }),
    ],
    ['no signature', () => verifyWebhook(secret, { [WEBHOOK_HEADERS.timestamp]: String(now) }, body, { now })],
    [
      'no timestamp',
      () => verifyWebhook(secret, { [WEBHOOK_HEADERS.signature]: signWebhook(secret, now, body) }, body, { now }),
    ],
    [
      'a body that is no event',
      () => verifyWebhook(secret, headers(signWebhook(secret, now, '{"a":1}')), '{"a":1}', { now }),
    ],
  ])('refuse %s with ISOTYP_SIGNATURE_INVALID and a hint', (_why, verify) => {
    expect(verify).toThrowError(
      expect.objectContaining({ code: 'ISOTYP_SIGNATURE_INVALID', hint: expect.any(String) }),
    );
  });
});

describe('event patterns', () => {
  it('match exact names, prefixes ending in * and everything', () => {
    expect(eventMatches(['change.*'], 'change.approve')).toBe(true);
    expect(eventMatches(['change.*'], 'changes.x')).toBe(false);
    expect(eventMatches(['agent.enrol', 'audit.*'], 'agent.enrol')).toBe(true);
    expect(eventMatches(['agent.enrol'], 'agent.enrolled')).toBe(false);
    expect(eventMatches(['*'], 'anything')).toBe(true);
    expect(eventMatches([], 'change.submit')).toBe(false);
  });
});

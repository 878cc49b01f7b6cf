import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SealedState } from './sealed-state.js';

describe('SealedState', () => {
  const secret = randomBytes(32);

  it('opens what it sealed, and the sealed text does not show the payload', async () => {
    const sealed = new SealedState(secret, () => new Date());
    const text = await sealed.seal('device', { dc: 'idp-device-code-123' }, 60);
    expect(text).not.toContain('idp-device-code-123');
    expect(Buffer.from(text.split('.').join(''), 'base64url').toString('latin1')).not.toContain('idp-device-code');
    const opened = await sealed.open('device', text);
    expect(opened).toMatchObject({ ok: true, value: { dc: 'idp-device-code-123' } });
  });

  it('refuses a value sealed for the other purpose', async () => {
    const sealed = new SealedState(secret, () => new Date());
    const login = await sealed.seal('login', { dc: 'x' }, 60);
    expect(await sealed.open('device', login)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuses a value sealed with another secret, or altered', async () => {
    const ours = new SealedState(secret, () => new Date());
    const theirs = new SealedState(randomBytes(32), () => new Date());
    expect(await ours.open('device', await theirs.seal('device', { dc: 'x' }, 60))).toEqual({
      ok: false,
      reason: 'invalid',
    });
    const text = await ours.seal('device', { dc: 'x' }, 60);
    const parts = text.split('.');
    const cipher = Buffer.from(parts[3] ?? '', 'base64url');
    cipher[0] = (cipher[0] ?? 0) ^ 1;
    parts[3] = cipher.toString('base64url');
    expect(await ours.open('device', parts.join('.'))).toEqual({ ok: false, reason: 'invalid' });
    expect(await ours.open('device', 'not-a-jwe')).toEqual({ ok: false, reason: 'invalid' });
  });

  it('reports expiry by the injected clock', async () => {
    let now = new Date('2030-01-01T00:00:00Z');
    const sealed = new SealedState(secret, () => now);
    const text = await sealed.seal('login', { s: 'state' }, 600);
    now = new Date('2030-01-01T00:09:59Z');
    expect((await sealed.open('login', text)).ok).toBe(true);
    now = new Date('2030-01-01T00:10:01Z');
    expect(await sealed.open('login', text)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a secret shorter than 32 bytes', () => {
    expect(() => new SealedState(randomBytes(16), () => new Date())).toThrow(RangeError);
  });
});

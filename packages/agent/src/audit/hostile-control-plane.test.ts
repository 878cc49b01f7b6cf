import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type Checkpoint,
  consistencyProof,
  type Ed25519KeyPair,
  formatVkey,
  generateKeyPair,
  inclusionProof,
  leafHash,
  rootOf,
  signCheckpoint,
  toBase64,
  toHex,
} from '@isotyp/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readControlPlaneLog } from './upstream-client.js';

/*
 * A compromised control plane, on loopback: it keeps an honest RFC 6962 log (built with
 * protocol's reference functions) and, when told, lies in one of the ways an attacker holding
 * the server could — forged proofs, a forked or truncated tree, a note signed by another key,
 * garbage. The agent's client must catch every lie, every round; honest answers always pass.
 */

const ORIGIN = 'isotyp.control-plane/hostile.test';
const encoder = new TextEncoder();

/** A small deterministic PRNG (mulberry32), so every round is reproducible. */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

type Lie =
  | 'honest'
  | 'forged-inclusion'
  | 'forged-consistency'
  | 'fork'
  | 'rewritten'
  | 'truncated'
  | 'other-key'
  | 'altered-note'
  | 'garbage';

class HostileLog {
  readonly entries: string[] = [];
  lie: Lie = 'honest';
  /** The size the agent verified last (what a forked or truncated answer is measured against). */
  agentSize = 0;
  readonly key: Ed25519KeyPair = generateKeyPair();
  readonly stranger: Ed25519KeyPair = generateKeyPair();

  constructor(readonly random: (n: number) => number) {}

  get vkey(): string {
    return formatVkey({ name: ORIGIN, publicKey: this.key.publicKey });
  }

  readonly #leaves: Uint8Array[] = [];

  grow(n: number): void {
    for (let i = 0; i < n; i++) {
      const entry = `{"seq":${this.entries.length},"n":${this.random(1e9)}}`;
      this.entries.push(entry);
      this.#leaves.push(leafHash(encoder.encode(entry)));
    }
  }

  /** Leaf hashes of `entries`, reusing the honest ones where they agree. */
  leaves(entries = this.entries): Uint8Array[] {
    return entries.map((e, i) =>
      e === this.entries[i] ? (this.#leaves[i] as Uint8Array) : leafHash(encoder.encode(e)),
    );
  }

  /** The same history with one entry before `size` rewritten. */
  rewritten(size: number): string[] {
    const copy = [...this.entries];
    copy[this.random(size)] = '{"forged":true}';
    return copy;
  }

  note(size: number, entries = this.entries, key = this.key): string {
    const checkpoint: Checkpoint = {
      origin: ORIGIN,
      size,
      root: toBase64(rootOf(this.leaves(entries.slice(0, size)))),
    };
    return signCheckpoint(checkpoint, { name: ORIGIN, secretKey: key.secretKey });
  }

  checkpoint(): { size: number; note: string } {
    const size = this.entries.length;
    switch (this.lie) {
      case 'fork':
        return { size: this.agentSize, note: this.note(this.agentSize, this.rewritten(this.agentSize)) };
      case 'rewritten':
        return { size, note: this.note(size, this.rewritten(this.agentSize)) };
      case 'truncated': {
        const smaller = 1 + this.random(this.agentSize - 1);
        return { size: smaller, note: this.note(smaller) };
      }
      case 'other-key':
        return { size, note: this.note(size, this.entries, this.stranger) };
      case 'altered-note': {
        const note = this.note(size);
        // One more entry claimed under the old signature.
        return { size: size + 1, note: note.replace(`\n${size}\n`, `\n${size + 1}\n`) };
      }
      default:
        return { size, note: this.note(size) };
    }
  }

  consistency(from: number, to: number): unknown {
    if (this.lie === 'garbage') return { hashes: 'not a list' };
    // A rewritten history proves itself consistent with its own past, not with the real one.
    const entries = this.lie === 'rewritten' ? this.rewritten(this.agentSize) : this.entries;
    const proof = consistencyProof(this.leaves(entries), from, to).map(toHex);
    if (this.lie !== 'forged-consistency') return { hashes: proof };
    return { hashes: this.mangle(proof) };
  }

  inclusion(seq: number, size: number): unknown {
    const proof = inclusionProof(this.leaves(this.entries.slice(0, size)), seq).map(toHex);
    const honest = { leafIndex: seq, treeSize: size, hashes: proof, entry: this.entries[seq] };
    if (this.lie === 'garbage') return { leafIndex: seq, treeSize: size, hashes: [42], entry: null };
    if (this.lie !== 'forged-inclusion') return honest;
    switch (this.random(4)) {
      case 0:
        return { ...honest, hashes: this.mangle(proof) };
      case 1:
        return { ...honest, entry: `${honest.entry} ` };
      case 2:
        return { ...honest, treeSize: size - 1 };
      default: {
        // A genuine proof, of another entry than the one asked for.
        const other = (seq + 1 + this.random(size - 1)) % size;
        const path = inclusionProof(this.leaves(this.entries.slice(0, size)), other).map(toHex);
        return { leafIndex: other, treeSize: size, hashes: path, entry: this.entries[other] };
      }
    }
  }

  /** A proof changed in one of the ways that must break it. */
  mangle(proof: string[]): string[] {
    const copy = [...proof];
    const at = this.random(Math.max(copy.length, 1));
    switch (proof.length === 0 ? 3 : this.random(4)) {
      case 0: {
        const h = copy[at] as string;
        const flipped = ((Number.parseInt(h.charAt(0), 16) + 1) % 16).toString(16);
        copy[at] = flipped + h.slice(1);
        return copy;
      }
      case 1:
        copy.splice(at, 1);
        return copy;
      case 2:
        // Reversed (a one-hash proof reversed is itself, so that one is emptied instead).
        return proof.length > 1 ? copy.reverse() : [];
      default:
        return [...copy, toHex(leafHash(encoder.encode('extra')))];
    }
  }
}

describe('the agent against a hostile control plane', () => {
  const log = new HostileLog(prng(6962));
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const q = (name: string) => Number(u.searchParams.get(name));
      let body: unknown;
      try {
        if (u.pathname === '/v1/audit/checkpoint') body = log.checkpoint();
        else if (u.pathname === '/v1/audit/proof/consistency') body = log.consistency(q('from'), q('to'));
        else if (u.pathname === '/v1/audit/proof/inclusion') body = log.inclusion(q('seq'), q('size'));
      } catch {
        // Asked for something its log cannot prove: the client requested what the server never signed.
        res.writeHead(500).end();
        return;
      }
      res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body ?? { error: { code: 'ISOTYP_NOT_FOUND', message: 'no route' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const read = (previous: { size: number; root: string } | undefined, seqs: number[] = []) =>
    readControlPlaneLog({ server: url, token: 't', vkey: log.vkey, previous, seqs });

  const expected: Record<Exclude<Lie, 'honest'>, string> = {
    'forged-inclusion': 'inclusion',
    'forged-consistency': 'inconsistent',
    fork: 'fork',
    rewritten: 'inconsistent',
    truncated: 'truncation',
    'other-key': 'signature',
    'altered-note': 'signature',
    garbage: 'inconsistent',
  };

  it.each(Object.entries(expected))('catches %s every time, over 30 rounds (reason %s)', async (lie, reason) => {
    for (let round = 0; round < 30; round++) {
      log.lie = 'honest';
      log.grow(2 + log.random(12));
      const previous = await read(undefined);
      log.agentSize = previous.size;
      log.grow(1 + log.random(12));
      const seqs = [log.random(log.entries.length), log.random(log.entries.length)];
      log.lie = lie as Lie;
      const error = await read(previous, seqs).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, `${lie}, round ${round}`).toMatchObject({ code: 'ISOTYP_AUDIT_TAMPERED', details: { reason } });
    }
  });

  it('never flags an honest control plane', async () => {
    log.lie = 'honest';
    let previous = await read(undefined);
    for (let round = 0; round < 30; round++) {
      log.grow(log.random(12));
      const size = log.entries.length;
      const next = await read(previous, [log.random(size), 0, size - 1]);
      expect(next.size).toBe(size);
      previous = next;
    }
  });
});

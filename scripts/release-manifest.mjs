#!/usr/bin/env node
// Writes packages/cli/release-manifest.json: every file the agent runs, hashed, in an envelope
// signed by the release key. The release pipeline gives the key's 32-byte seed, base64url, in
// ISOTYP_RELEASE_KEY (channel "release"); any other build signs with a development key made once
// per checkout in .artifacts/release/dev-key.json (channel "development"), which nothing trusts
// unless its public key is put in ISOTYP_RELEASE_KEYS. Run after `tsc -b` (pnpm build does).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const load = (pkg) => import(pathToFileURL(join(root, 'packages', pkg, 'dist', 'index.js')).href);
const [agent, protocol] = await Promise.all([load('agent'), load('protocol')]);

let channel = 'release';
let seed = process.env.ISOTYP_RELEASE_KEY;
if (seed === undefined || seed === '') {
  channel = 'development';
  const file = join(root, '.artifacts', 'release', 'dev-key.json');
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    const pair = protocol.generateKeyPair();
    writeFileSync(
      file,
      JSON.stringify({
        seed: protocol.toBase64Url(pair.secretKey.subarray(0, 32)),
        publicKey: protocol.encodePublicKey(pair.publicKey),
      }),
      { mode: 0o600 },
    );
  }
  seed = JSON.parse(readFileSync(file, 'utf8')).seed;
}
const pair = protocol.keyPairFromSeed(protocol.fromBase64Url(seed, 32));
const version = JSON.parse(readFileSync(join(root, 'packages', 'cli', 'package.json'), 'utf8')).version;
const envelope = agent.signInstallation(root, { version, channel, secretKey: pair.secretKey });
writeFileSync(join(root, 'packages', 'cli', 'release-manifest.json'), `${JSON.stringify(envelope, null, 2)}\n`);
console.log(
  `release manifest: ${Object.keys(envelope.payload.files).length} files, ${channel}, signed by ${protocol.keyId(pair.publicKey)}`,
);

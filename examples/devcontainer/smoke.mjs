// Smoke test CI runs: devcontainer.json parses, runs this checkout's set-up script, and forwards
// the port isotyp server start listens on by default (read from the built CLI's manifest).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const config = JSON.parse(
  readFileSync(fileURLToPath(new URL('.devcontainer/devcontainer.json', import.meta.url)), 'utf8'),
);
const manifest = JSON.parse(readFileSync(`${root}packages/cli/oclif.manifest.json`, 'utf8'));
const port = manifest.commands['server:start'].flags.port.default;
const script = /bash (scripts\/[\w.-]+)/.exec(config.postCreateCommand ?? '')?.[1];
const problems = [
  script && existsSync(`${root}${script}`)
    ? ''
    : `postCreateCommand runs no script of this checkout (${config.postCreateCommand})`,
  /node:1-20-/.test(config.image) ? '' : `not Node 20 (${config.image})`,
  (config.forwardPorts ?? []).includes(port) ? '' : `port ${port} (isotyp server start's default) is not forwarded`,
].filter(Boolean);
if (problems.length > 0) throw new Error(`devcontainer.json: ${problems.join('; ')}`);
console.log('devcontainer smoke: ok');
